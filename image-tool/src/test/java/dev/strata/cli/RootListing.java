package dev.strata.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A root filesystem as find(1) lists it, one line per entry, sorted, so that a mount can be
 * compared with what umoci unpacks from the same image.
 */
final class RootListing {
  private RootListing() {}

  /**
   * Returns every entry under {@code root}: type, mode, owner, size (not of directories, whose
   * size each filesystem counts its own way), link target, path.
   */
  static List<String> of(Path root) throws IOException, InterruptedException {
    String out = Commands.run(List.of("find", root.toString(), "-mindepth", "1", "(", "-type", "d", "-printf",
        "%y %m %U %G - %l %P\\n", ")", "-o", "-printf", "%y %m %U %G %s %l %P\\n"));
    return out.lines().sorted().toList();
  }
}
