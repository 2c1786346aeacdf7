package dev.strata.transfer;

import dev.strata.blob.Durability;
import dev.strata.digest.Digest;
import dev.strata.layout.Store;
import dev.strata.registry.Reference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * Where in a registry each pulled blob came from ({@code origins/<alg>/<hex>}: host and
 * repository), so that pushing it to another repository of the same registry can be a
 * cross-repository mount instead of an upload. A hint only: a wrong or stale origin costs one
 * refused mount.
 */
final class Origins {
  private Origins() {}

  private static Path file(Store store, Digest digest) {
    return store.root().resolve("origins").resolve(digest.algorithm()).resolve(digest.hex());
  }

  /**
   * Records where {@code digest} is in a registry. Renamed into place, so never torn, but not
   * synced to disk: a hint lost in a crash costs an upload, a sync costs every push and pull.
   */
  static void remember(Store store, Reference ref, Digest digest) throws IOException {
    Path f = file(store, digest);
    Files.createDirectories(f.getParent());
    Files.createDirectories(store.tmp());
    Path temp = Durability.createTempFile(store.tmp(), "origin-");
    try {
      Files.write(temp, (ref.host() + "\n" + ref.repository() + "\n").getBytes(StandardCharsets.UTF_8));
      Files.move(temp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Returns the repository of {@code host} that {@code digest} was pulled from, if any. */
  static Optional<String> repository(Store store, String host, Digest digest) throws IOException {
    Path f = file(store, digest);
    if (!Files.isRegularFile(f)) {
      return Optional.empty();
    }
    String[] lines = Files.readString(f, StandardCharsets.UTF_8).split("\n");
    return lines.length >= 2 && lines[0].equals(host) ? Optional.of(lines[1]) : Optional.empty();
  }
}
