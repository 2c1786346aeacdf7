package dev.strata.layout;

import java.io.IOException;

/** A name that no tag (or manifest digest) in the store answers to. */
public final class NoSuchImageException extends IOException {
  public NoSuchImageException(String message) {
    super(message);
  }
}
