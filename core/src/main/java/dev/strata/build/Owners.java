package dev.strata.build;

import dev.strata.union.ImageUser;
import java.io.IOException;

/**
 * Resolves {@code COPY --chown=USER[:GROUP]} in the image being built: names from its own
 * /etc/passwd and /etc/group, numbers as they are; a user without a group gives its number as
 * the group too, as Docker's builder reads {@code --chown}.
 */
final class Owners {
  private Owners() {}

  static long[] resolve(ImageUnion union, String spec) throws IOException {
    ImageUser who = ImageUser.resolve(union.engine(), spec);
    return new long[] {who.uid(), spec.contains(":") ? who.gid() : who.uid()};
  }
}
