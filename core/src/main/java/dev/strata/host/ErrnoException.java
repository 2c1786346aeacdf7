package dev.strata.host;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;

/**
 * A failure that answers with an errno: a host system call's own (its number as the kernel gave
 * it), or the one the kernel's overlay would answer for the same operation. Both FUSE
 * transports reply with {@link #errno()}, so a caller sees what the host said.
 */
public final class ErrnoException extends IOException {
  private final Errno errno;

  public ErrnoException(Errno errno, String message) {
    super(errno + ": " + message);
    this.errno = errno;
  }

  /** A failed system call: {@code what} (the file, and the call) failed with {@code errno}. */
  public static ErrnoException of(int errno, String what) {
    Errno e = Errno.of(errno);
    return new ErrnoException(e, what + ": " + e.description());
  }

  /** Returns the errno to answer with. */
  public Errno errno() {
    return errno;
  }

  /**
   * Returns the errno {@code e} answers with: its own for an ErrnoException; for the few
   * exceptions the JDK's file calls throw with a type of their own, the errno behind that type
   * (the JDK keeps no number); EIO for anything else.
   */
  public static Errno errnoOf(IOException e) {
    if (e instanceof ErrnoException x) {
      return x.errno;
    }
    if (e instanceof NoSuchFileException) {
      return Errno.ENOENT;
    }
    if (e instanceof FileAlreadyExistsException) {
      return Errno.EEXIST;
    }
    if (e instanceof DirectoryNotEmptyException) {
      return Errno.ENOTEMPTY;
    }
    if (e instanceof AccessDeniedException) {
      return Errno.EACCES;
    }
    if (e instanceof NotDirectoryException) {
      return Errno.ENOTDIR;
    }
    if (e instanceof NotLinkException) {
      return Errno.EINVAL;
    }
    return Errno.EIO;
  }
}
