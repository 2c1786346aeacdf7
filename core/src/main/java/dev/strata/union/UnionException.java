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

  static UnionException of(Errno errno, String path) {
    return new UnionException(errno, path);
  }
}
