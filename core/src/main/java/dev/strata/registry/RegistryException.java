package dev.strata.registry;

import java.io.IOException;

/** The registry answered with an error: its status and the message people act on. */
public final class RegistryException extends IOException {
  private final int status;

  RegistryException(int status, String message) {
    super(message);
    this.status = status;
  }

  /** Returns the HTTP status, or 0 when the error was not an HTTP answer. */
  public int status() {
    return status;
  }
}
