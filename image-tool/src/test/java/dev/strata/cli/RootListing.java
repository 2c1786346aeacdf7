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

  /**
   * Returns {@link #of} followed by the sha256 of every regular file: reading each file whole,
   * so a file whose bytes the store lost fails here, as it would for a program.
   */
  static List<String> withContents(Path root) throws IOException, InterruptedException {
    String sums = Commands.run(List.of("sh", "-c",
        "cd \"$1\" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum", "sh", root.toString()));
    List<String> all = new java.util.ArrayList<>(of(root));
    all.addAll(sums.lines().toList());
    return all;
  }
}
