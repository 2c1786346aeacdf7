package dev.strata.blob;

import java.io.OutputStream;

/** Shared output streams. */
final class OutputStreams {
  /** Discards everything; used where only a digest of the bytes is wanted. */
  static final OutputStream NULL = OutputStream.nullOutputStream();

  private OutputStreams() {}
}
