package dev.strata.layer;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Bytes written on one thread and read on another, in chunks of a quarter MiB, at most a few
 * MiB in flight. The JDK's piped streams move a write at a time under a lock and let a waiting
 * reader sleep up to a second; a layer's tar is written in pieces of a few hundred bytes.
 *
 * <p>Closing the source (the reader giving up) makes the sink's writes fail rather than wait
 * forever; closing the sink ends the source's stream.
 */
public final class BytePipe {
  private static final int CHUNK = 1 << 18;
  private static final byte[] END = new byte[0];

  private final BlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(16);
  private volatile boolean readerGone;
  private final Sink sink = new Sink();
  private final Source source = new Source();

  /** The end to write to, on one thread; close it to end the stream. */
  public OutputStream sink() {
    return sink;
  }

  /** The end to read from, on another thread. */
  public InputStream source() {
    return source;
  }

  /** A write to a pipe whose reader closed its end. */
  public static final class ReaderGoneException extends IOException {
    ReaderGoneException() {
      super("the reader of the pipe stopped reading");
    }
  }

  private void put(byte[] chunk) throws IOException {
    try {
      while (!chunks.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
        if (readerGone) {
          throw new ReaderGoneException();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while writing to a pipe");
    }
  }

  private final class Sink extends OutputStream {
    private byte[] buffer = new byte[CHUNK];
    private int used;
    private boolean closed;

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (closed) {
        throw new IOException("write to a closed pipe");
      }
      while (len > 0) {
        int n = Math.min(len, CHUNK - used);
        System.arraycopy(b, off, buffer, used, n);
        used += n;
        off += n;
        len -= n;
        if (used == CHUNK) {
          put(buffer);
          buffer = new byte[CHUNK];
          used = 0;
        }
      }
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      if (used > 0) {
        byte[] last = new byte[used];
        System.arraycopy(buffer, 0, last, 0, used);
        put(last);
      }
      put(END);
    }
  }

  private final class Source extends InputStream {
    private byte[] current = new byte[0];
    private int pos;
    private boolean ended;

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
      while (pos == current.length) {
        if (ended) {
          return -1;
        }
        try {
          current = chunks.take();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while reading a pipe");
        }
        pos = 0;
        if (current == END) {
          ended = true;
          return -1;
        }
      }
      int n = Math.min(len, current.length - pos);
      System.arraycopy(current, pos, b, off, n);
      pos += n;
      return n;
    }

    @Override
    public void close() {
      readerGone = true;
      chunks.clear();
    }
  }
}
