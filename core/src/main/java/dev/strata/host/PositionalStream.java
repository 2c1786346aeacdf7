package dev.strata.host;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * A file's bytes from the start to the end, read by position (pread(2), or the engine's read of
 * an open handle), for code that reads streams (a tar writer, a digest); closing it closes what
 * it reads.
 */
public final class PositionalStream extends InputStream {
  /** Reads at a position into a buffer: how many bytes, -1 (or 0 for a non-empty buffer) at the end. */
  @FunctionalInterface
  public interface Read {
    int read(long position, ByteBuffer dst) throws IOException;
  }

  private final Read source;
  private final Closeable owner;
  private long position;

  public PositionalStream(Read source, Closeable owner) {
    this.source = source;
    this.owner = owner;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    int n = source.read(position, ByteBuffer.wrap(b, off, len));
    if (n <= 0) {
      return -1;
    }
    position += n;
    return n;
  }

  @Override
  public void close() throws IOException {
    owner.close();
  }
}
