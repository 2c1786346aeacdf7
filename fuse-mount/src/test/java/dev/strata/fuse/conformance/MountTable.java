package dev.strata.fuse.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The mounts of this process's namespace, as /proc/self/mountinfo lists them. */
final class MountTable {
  private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

  private MountTable() {}

  static boolean contains(Path mountPoint) throws IOException {
    String wanted = escaped(mountPoint.toString());
    List<String> lines = Files.readAllLines(MOUNTINFO);
    // Field 5 is the mount point.
    return lines.stream().map(l -> l.split(" ")).anyMatch(f -> f.length > 4 && f[4].equals(wanted));
  }

  /** Polls until {@code mountPoint} is mounted: a detached mount program may return before the kernel lists it. */
  static void await(Path mountPoint, long timeoutMillis) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
    while (!contains(mountPoint)) {
      if (System.nanoTime() > deadline) {
        throw new IOException(mountPoint + " is not mounted after " + timeoutMillis + " ms");
      }
      Thread.sleep(50);
    }
  }

  /** mountinfo writes space, tab, newline and backslash as octal escapes. */
  private static String escaped(String path) {
    return path.replace("\\", "\\134").replace(" ", "\\040").replace("\t", "\\011").replace("\n", "\\012");
  }
}
