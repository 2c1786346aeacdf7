package dev.strata.registry;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** Where the bytes of a blob to push come from; opened again when a request is repeated. */
@FunctionalInterface
public interface BlobBytes {
  /** Opens the blob from its first byte. */
  InputStream open() throws IOException;

  /**
   * The file that holds exactly the blob, if there is one: then a plain-http upload sends it
   * straight from the file (see {@link FileUpload}) and reports its progress to {@link #sent}.
   */
  default Path file() {
    return null;
  }

  /** Hears how many bytes of {@link #file} have been sent so far. */
  default void sent(long bytes) {}

  /** Opens the blob for an API that takes no checked exceptions. */
  default InputStream openUnchecked() {
    try {
      return open();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
