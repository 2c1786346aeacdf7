package dev.strata.layout;

import java.io.IOException;

/** The store lock was not free within the time the caller would wait; the message names its holders. */
public final class StoreBusyException extends IOException {
  private static final long serialVersionUID = 1L;

  StoreBusyException(String message) {
    super(message);
  }
}
