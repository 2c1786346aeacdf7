package dev.strata.layer;

import dev.strata.digest.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.security.MessageDigest;

/**
 * Reads another stream ahead on a thread of its own, so that decompressing a layer (on that
 * thread) and hashing and storing its files (on the caller's) use two cores at once.
 *
 * <p>Everything the source's reads do (tee into a blob, digesting) happens on the read-ahead
 * thread until the source ends; {@link #awaitSource} then hands the source back to the caller.
 * An exception on the read-ahead thread is rethrown by the next read.
 *
 * <p>Made {@linkplain #digesting digesting}, it also hashes every byte of the source on its
 * thread, so that a layer's DiffID costs the reader nothing.
 */
public final class ReadAheadInputStream extends InputStream {
  private static final int CHUNK = 1 << 18;

  private final BytePipe pipe = new BytePipe();
  private final InputStream chunks = pipe.source();
  private final Thread thread;
  private volatile Throwable failure;
  private volatile boolean closed;
  private boolean ended;

  /** Hash of every byte of the source, updated on the read-ahead thread; null: none. */
  private final MessageDigest digest;
  /** Bytes of the source read so far, on the read-ahead thread. */
  private long produced;

  public ReadAheadInputStream(InputStream source, String name) {
    this(source, name, null);
  }

  private ReadAheadInputStream(InputStream source, String name, MessageDigest digest) {
    this.digest = digest;
    this.thread = new Thread(() -> pump(source), name);
    thread.setDaemon(true);
    thread.start();
  }

  /** A read-ahead stream that also computes the sha256 of the whole source (see {@link #sha256AtEnd}). */
  public static ReadAheadInputStream digesting(InputStream source, String name) {
    return new ReadAheadInputStream(source, name, Digest.newMessageDigest(Digest.SHA256));
  }

  /** Whether this stream hashes its source. */
  public boolean digests() {
    return digest != null;
  }

  /**
   * Returns the sha256 of every byte of the source; only once a read has returned the end
   * (the read-ahead thread had finished with the digest before it ended the pipe).
   */
  public Digest sha256AtEnd() {
    if (digest == null || !ended || failure != null) {
      throw new IllegalStateException("the source was not hashed to its end");
    }
    return Digest.fromRaw(Digest.SHA256, digest.digest());
  }

  /** Returns how many bytes the source had; only once a read has returned the end. */
  public long countAtEnd() {
    if (!ended || failure != null) {
      throw new IllegalStateException("the source was not read to its end");
    }
    return produced;
  }

  private void pump(InputStream source) {
    OutputStream out = pipe.sink();
    try {
      byte[] buf = new byte[CHUNK];
      while (!closed) {
        int n = source.readNBytes(buf, 0, CHUNK);
        if (n == 0) {
          break;
        }
        if (digest != null) {
          digest.update(buf, 0, n);
        }
        produced += n;
        out.write(buf, 0, n);
        if (n < CHUNK) {
          break;
        }
      }
    } catch (Throwable t) {
      if (!closed) {
        failure = t; // set before the pipe ends, so that the reader sees it with the end
      }
    } finally {
      try {
        out.close();
      } catch (IOException e) {
        // the reader closed its end: nobody is left to tell
      }
    }
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (ended) {
      return -1;
    }
    int n = chunks.read(b, off, len);
    if (n < 0) {
      ended = true;
      rethrow();
    }
    return n;
  }

  private void rethrow() throws IOException {
    Throwable t = failure;
    if (t instanceof IOException io) {
      throw io;
    }
    if (t instanceof RuntimeException re) {
      throw re;
    }
    if (t instanceof Error err) {
      throw err;
    }
  }

  /**
   * Waits until the read-ahead thread is done with the source (at its end, or after close),
   * so that the caller may use the source and what it feeds again.
   */
  public void awaitSource() throws IOException {
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the layer reader");
    }
    rethrow();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    chunks.close();
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
