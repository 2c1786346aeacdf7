package dev.strata.image.json;

import java.io.IOException;

/** A manifest, index or config that is not valid JSON or lacks what the spec requires. */
public final class InvalidImageJsonException extends IOException {
  public InvalidImageJsonException(String message) {
    super(message);
  }

  public InvalidImageJsonException(String message, Throwable cause) {
    super(message, cause);
  }
}
