package dev.strata.digest;

import java.io.IOException;

/** Content did not have the digest or size that its descriptor promised. */
public final class DigestMismatchException extends IOException {
  public DigestMismatchException(String message) {
    super(message);
  }

  /** Builds the message for {@code what} whose expected and actual digests (or sizes) differ. */
  public static DigestMismatchException of(String what, Object expected, Object actual) {
    return new DigestMismatchException(what + ": expected " + expected + ", got " + actual);
  }
}
