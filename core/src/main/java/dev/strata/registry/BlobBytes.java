package dev.strata.registry;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Where the bytes of a blob to push come from; opened again when a request is repeated. */
@FunctionalInterface
public interface BlobBytes {
  /** Opens the blob from its first byte. */
  InputStream open() throws IOException;

  /** Opens the blob for an API that takes no checked exceptions. */
  default InputStream openUnchecked() {
    try {
      return open();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
