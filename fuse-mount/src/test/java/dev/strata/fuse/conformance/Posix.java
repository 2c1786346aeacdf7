package dev.strata.fuse.conformance;

import dev.strata.fuse.Syscalls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import jnr.constants.platform.OpenFlags;

/**
 * The system calls the tests make, by path, each answering "ok" or the name of its errno, so
 * that a test states exactly what the kernel answers (java.nio maps errnos onto a few
 * exceptions and retries some calls in other ways).
 */
final class Posix {
  // Open flags differ between architectures, so they come from jnr-constants.
  static final int O_RDONLY = OpenFlags.O_RDONLY.intValue();
  static final int O_WRONLY = OpenFlags.O_WRONLY.intValue();
  static final int O_RDWR = OpenFlags.O_RDWR.intValue();
  static final int O_CREAT = OpenFlags.O_CREAT.intValue();
  static final int O_EXCL = OpenFlags.O_EXCL.intValue();
  static final int O_TRUNC = OpenFlags.O_TRUNC.intValue();
  static final int O_APPEND = OpenFlags.O_APPEND.intValue();
  static final int O_NONBLOCK = OpenFlags.O_NONBLOCK.intValue();
  static final int O_DIRECTORY = OpenFlags.O_DIRECTORY.intValue();
  static final int O_NOFOLLOW = OpenFlags.O_NOFOLLOW.intValue();
  // Linux values, the same on every architecture.
  static final int F_OK = 0;
  static final int X_OK = 1;
  static final int W_OK = 2;
  static final int R_OK = 4;
  static final int AT_FDCWD = -100;
  static final int AT_SYMLINK_NOFOLLOW = 0x100;
  static final int RENAME_NOREPLACE = 1;
  static final int RENAME_EXCHANGE = 2;
  static final long UTIME_NOW = (1L << 30) - 1;
  static final long UTIME_OMIT = (1L << 30) - 2;
  static final String OK = "ok";

  private static final Syscalls.Calls LIBC = Syscalls.libc();

  private Posix() {}

  /** "ok" for a call that answered {@code rc} >= 0, else the name of the errno it set. */
  static String answer(long rc) {
    return rc >= 0 ? OK : errnoName(Syscalls.errno());
  }

  static String errnoName(int errno) {
    jnr.constants.platform.Errno e = jnr.constants.platform.Errno.valueOf(errno);
    return e.defined() ? e.name() : "errno " + errno;
  }

  static byte[] c(Path path) {
    return Syscalls.c(path.toString());
  }

  /** Opens and closes at once: what open answers. */
  static String open(Path path, int flags, int mode) {
    int fd = LIBC.open(c(path), flags, mode);
    String answer = answer(fd);
    if (fd >= 0) {
      LIBC.close(fd);
    }
    return answer;
  }

  /** Opens {@code path}; an {@link Fd} to close. */
  static Fd fd(Path path, int flags, int mode) throws IOException {
    int fd = LIBC.open(c(path), flags, mode);
    if (fd < 0) {
      throw new IOException(path + ": open: " + errnoName(Syscalls.errno()));
    }
    return new Fd(fd);
  }

  static String unlink(Path path) {
    return answer(LIBC.unlink(c(path)));
  }

  static String rmdir(Path path) {
    return answer(LIBC.rmdir(c(path)));
  }

  static String mkdir(Path path, int mode) {
    return answer(LIBC.mkdir(c(path), mode));
  }

  static String link(Path from, Path to) {
    return answer(LIBC.link(c(from), c(to)));
  }

  static String rename(Path from, Path to, int flags) {
    return answer(LIBC.renameat2(AT_FDCWD, c(from), AT_FDCWD, c(to), flags));
  }

  static String access(Path path, int mode) {
    return answer(LIBC.access(c(path), mode));
  }

  /** utimensat(2): nanoseconds may be {@link #UTIME_NOW} or {@link #UTIME_OMIT}. */
  static String utimens(Path path, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec, int flags) {
    return answer(LIBC.utimensat(AT_FDCWD, c(path), new long[] {atimeSec, atimeNsec, mtimeSec, mtimeNsec}, flags));
  }

  /** readlink(2): the target, or the errno's name. */
  static String readlink(Path path) {
    byte[] buf = new byte[4096];
    long n = LIBC.readlink(c(path), buf, buf.length);
    return n < 0 ? answer(n) : new String(buf, 0, (int) n, StandardCharsets.UTF_8);
  }

  /** An open file descriptor. */
  static final class Fd implements AutoCloseable {
    final int fd;

    private Fd(int fd) {
      this.fd = fd;
    }

    String write(byte[] data, long offset) {
      long n = LIBC.pwrite(fd, data, data.length, offset);
      return n < 0 ? answer(n) : n == data.length ? OK : "short write " + n;
    }

    String fsync() {
      return answer(LIBC.fsync(fd));
    }

    String fdatasync() {
      return answer(LIBC.fdatasync(fd));
    }

    String truncate(long length) {
      return answer(LIBC.ftruncate(fd, length));
    }

    @Override
    public void close() throws IOException {
      if (LIBC.close(fd) != 0) {
        throw new IOException("close: " + errnoName(Syscalls.errno()));
      }
    }
  }
}
