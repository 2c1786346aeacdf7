package dev.strata.layer;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads another stream ahead on a thread of its own, so that decompressing a layer (on that
 * thread) and hashing and storing its files (on the caller's) use two cores at once.
 *
 * <p>Everything the source's reads do (tee into a blob, digesting) happens on the read-ahead
 * thread until the source ends; {@link #awaitSource} then hands the source back to the caller.
 * An exception on the read-ahead thread is rethrown by the next read.
 */
public final class ReadAheadInputStream extends InputStream {
  private static final int CHUNK = 1 << 18;
  private static final byte[] END = new byte[0];

  private final BlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(16);
  private final Thread thread;
  private volatile Throwable failure;
  private volatile boolean closed;
  private byte[] current = new byte[0];
  private int pos;
  private boolean ended;

  public ReadAheadInputStream(InputStream source, String name) {
    this.thread = new Thread(() -> pump(source), name);
    thread.setDaemon(true);
    thread.start();
  }

  private void pump(InputStream source) {
    try {
      while (!closed) {
        byte[] buf = source.readNBytes(CHUNK);
        if (buf.length == 0) {
          break;
        }
        while (!closed && !chunks.offer(buf, 100, TimeUnit.MILLISECONDS)) {
          // wait for the reader; re-check closed so that an abandoned stream ends the thread
        }
        if (buf.length < CHUNK) {
          break;
        }
      }
    } catch (Throwable t) {
      failure = t;
    } finally {
      try {
        while (!closed && !chunks.offer(END, 100, TimeUnit.MILLISECONDS)) {
          // as above
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
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
    if (len == 0) {
      return 0;
    }
    while (pos == current.length) {
      if (ended) {
        return -1;
      }
      try {
        current = chunks.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while reading a layer");
      }
      pos = 0;
      if (current == END) {
        ended = true;
        rethrow();
        return -1;
      }
    }
    int n = Math.min(len, current.length - pos);
    System.arraycopy(current, pos, b, off, n);
    pos += n;
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
    chunks.clear();
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
