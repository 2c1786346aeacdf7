package dev.strata.union;

import java.io.IOException;

/** A filesystem operation that failed with an errno, as the kernel would answer it. */
public final class UnionException extends IOException {
  private final Errno errno;

  public UnionException(Errno errno, String message) {
    super(errno + ": " + message);
    this.errno = errno;
  }

  /** Returns the errno to answer with. */
  public Errno errno() {
    return errno;
  }

  /**
   * Returns {@code e} as a UnionException carrying the errno the host gave, as far as the JDK's
   * exception type or its strerror text tells it; EIO otherwise. For bindings that answer
   * errnos for host failures too.
   */
  public static UnionException from(IOException e) {
    return JavaHostFiles.toUnion(e);
  }

  static UnionException of(Errno errno, String path) {
    return new UnionException(errno, path);
  }
}
