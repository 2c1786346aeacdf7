package dev.strata.layer;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.ZipException;

/**
 * Names what the tar library still refuses in its own words ("Error detected parsing the
 * header", "Corrupted struct sparse detected") as a refused layer, naming the entry or header
 * the guard read last: the guard has checked every header before the library reads it, so such an error
 * is the layer's, never the reader's. A failure of the stream below (a download cut off, a
 * disk error) and the guard's own refusals pass as they are.
 */
final class TarLibraryErrors extends FilterInputStream {
  private final TarHeaderGuard guard;

  /** The data of the library's current entry, its errors named. */
  TarLibraryErrors(InputStream library, TarHeaderGuard guard) {
    super(library);
    this.guard = guard;
  }

  @Override
  public int read() throws IOException {
    try {
      return in.read();
    } catch (IOException | IllegalArgumentException e) {
      throw named(e, guard);
    }
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    try {
      return in.read(b, off, len);
    } catch (IOException | IllegalArgumentException e) {
      throw named(e, guard);
    }
  }

  @Override
  public long skip(long n) throws IOException {
    try {
      return in.skip(n);
    } catch (IOException | IllegalArgumentException e) {
      throw named(e, guard);
    }
  }

  /** Returns {@code e} as the layer's refusal if the library raised it, else as it is. */
  static IOException named(Exception e, TarHeaderGuard guard) {
    if (e instanceof UnsafeLayerException || e instanceof EOFException || e instanceof ZipException
        || (e instanceof IOException io && guard.sourceFailed())) {
      return (IOException) e;
    }
    return new UnsafeLayerException(guard.position() + ": the tar library cannot read it: " + e.getMessage(), e);
  }
}
