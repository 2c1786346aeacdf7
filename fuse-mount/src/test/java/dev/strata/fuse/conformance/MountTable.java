package dev.strata.fuse.conformance;

import dev.strata.fuse.Mounts;
import java.io.IOException;
import java.nio.file.Path;

/** The mounts of this process's namespace, as /proc/self/mountinfo lists them. */
final class MountTable {
  private MountTable() {}

  static boolean contains(Path mountPoint) throws IOException {
    return Mounts.at(mountPoint).isPresent();
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
}
