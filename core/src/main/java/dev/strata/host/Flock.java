package dev.strata.host;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * An exclusive flock(2) lock on a file, held until closed or until the process ends. The
 * lock a shell script takes with flock(1): a Java {@link java.nio.channels.FileLock} is an
 * fcntl record lock, which Linux keeps apart from flock locks, so a script could not see it.
 * Strata's mount server and the launcher that starts it agree through these (see
 * {@code dev.strata.fuse.MountServer}).
 */
public final class Flock implements AutoCloseable {
  private static final int LOCK_EX = 2;
  private static final int LOCK_NB = 4;
  private static final int LOCK_UN = 8;
  private static final int EWOULDBLOCK = 11;

  private int fd;

  private Flock(int fd) {
    this.fd = fd;
  }

  /** Takes the lock on {@code file} (created, mode 0600, if missing) if no one holds it. */
  public static Optional<Flock> tryExclusive(Path file) throws IOException {
    int fd = Libc.CALLS.openat(Libc.AT_FDCWD, HostDir.cPath(file), Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0600);
    if (fd < 0) {
      throw ErrnoException.of(Libc.errno(), file + ": open");
    }
    if (Libc.CALLS.flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int e = Libc.errno();
      Libc.CALLS.close(fd);
      if (e == EWOULDBLOCK) {
        return Optional.empty();
      }
      throw ErrnoException.of(e, file + ": flock");
    }
    return Optional.of(new Flock(fd));
  }

  /** Lets go of the lock. */
  @Override
  public synchronized void close() {
    if (fd >= 0) {
      Libc.CALLS.flock(fd, LOCK_UN);
      Libc.CALLS.close(fd);
      fd = -1;
    }
  }
}
