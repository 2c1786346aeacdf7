package dev.strata.host;

import java.io.IOException;
import java.nio.file.Path;

/**
 * This process's standard descriptors (0, 1, 2), for a server that was started by a launcher
 * and lives on after it: its caller (a container engine running a mount program) reads the
 * launcher's output until every writer has closed it, so a server that kept the descriptors
 * would hold the engine up for the life of the mount.
 */
public final class StandardStreams {
  private StandardStreams() {}

  /**
   * Points standard error at {@code log} (created if missing, appended to): what the server
   * says from now on, the JVM's own last words included, goes there.
   */
  public static void errorTo(Path log) throws IOException {
    onto(log, 2);
  }

  /** Points standard output at {@code log} and standard input at /dev/null. */
  public static void outputTo(Path log) throws IOException {
    onto(log, 1);
    int in = Libc.CALLS.openat(Libc.AT_FDCWD, HostDir.cPath(Path.of("/dev/null")), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
    if (in >= 0) {
      Libc.CALLS.dup2(in, 0);
      Libc.CALLS.close(in);
    }
  }

  private static void onto(Path log, int target) throws IOException {
    int fd = Libc.CALLS.openat(Libc.AT_FDCWD, HostDir.cPath(log), Libc.O_WRONLY | Libc.O_CREAT | Libc.O_APPEND | Libc.O_CLOEXEC,
        0600);
    if (fd < 0) {
      throw ErrnoException.of(Libc.errno(), log + ": open");
    }
    try {
      // dup2 leaves the new descriptor without O_CLOEXEC: children the server starts inherit it.
      if (Libc.CALLS.dup2(fd, target) < 0) {
        throw ErrnoException.of(Libc.errno(), log + ": dup2 onto descriptor " + target);
      }
    } finally {
      Libc.CALLS.close(fd);
    }
  }
}
