package dev.strata.blob;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The bytes of one stored object, read at any position by any number of threads: a whole loose
 * file, or a range of a pack. The file is opened at the first read, not before, and closed by
 * {@link #close}.
 */
public final class ObjectContent implements Closeable {
  private final Path file;
  private final long base;
  private final long size;
  private final boolean whole;
  private final Object lock = new Object();
  private volatile FileChannel channel;
  private volatile boolean closed;

  private ObjectContent(Path file, long base, long size, boolean whole) {
    checkArgument(base >= 0 && size >= 0, "bad range %s+%s", base, size);
    this.file = file;
    this.base = base;
    this.size = size;
    this.whole = whole;
  }

  /** The content of a loose object: the whole of {@code file}. */
  static ObjectContent loose(Path file, long size) {
    return new ObjectContent(file, 0, size, true);
  }

  /** The content of a packed object: {@code size} bytes of {@code pack} from {@code offset}. */
  static ObjectContent packed(Path pack, long offset, long size) {
    return new ObjectContent(pack, offset, size, false);
  }

  /** Returns the length. */
  public long size() {
    return size;
  }

  /**
   * Reads into {@code dst} from {@code position} until {@code dst} is full or the content ends;
   * returns the bytes read, or -1 if {@code position} is at or past the end. A short count
   * therefore always means the end.
   */
  public int read(long position, ByteBuffer dst) throws IOException {
    checkArgument(position >= 0, "negative position %s", position);
    if (position >= size) {
      return -1;
    }
    int want = (int) Math.min(dst.remaining(), size - position);
    if (want == 0) {
      return 0;
    }
    ByteBuffer window = dst.duplicate();
    window.limit(window.position() + want);
    int done = 0;
    while (done < want) {
      int n = readOnce(base + position + done, window);
      if (n < 0) {
        throw new IOException(file.getFileName() + " ends before the " + size + " bytes of its object"
            + (whole ? "" : " at offset " + base));
      }
      done += n;
    }
    dst.position(dst.position() + done);
    return done;
  }

  private int readOnce(long at, ByteBuffer window) throws IOException {
    FileChannel ch = channel();
    try {
      return ch.read(window, at);
    } catch (ClosedByInterruptException e) {
      throw e;
    } catch (ClosedChannelException e) {
      // Another reader's interrupt closes a FileChannel under every thread that shares it; the
      // content is still open for them, so reopen once.
      return channel().read(window, at);
    }
  }

  private FileChannel channel() throws IOException {
    FileChannel ch = channel;
    if (ch != null && ch.isOpen()) {
      return ch;
    }
    synchronized (lock) {
      if (closed) {
        throw new ClosedChannelException();
      }
      ch = channel;
      if (ch == null || !ch.isOpen()) {
        ch = FileChannel.open(file, StandardOpenOption.READ);
        channel = ch;
      }
      return ch;
    }
  }

  /**
   * Returns the host file that holds exactly these bytes and nothing else: the loose object file;
   * empty for a packed object, whose bytes share their file with others.
   */
  public Optional<Path> hostFile() {
    return whole ? Optional.of(file) : Optional.empty();
  }

  /** Returns the host file the bytes are in (a loose object, or a pack). */
  public Path file() {
    return file;
  }

  /** Returns where in {@link #file} the bytes start (0 for a loose object). */
  public long offset() {
    return base;
  }

  /** Returns whether {@link #file} holds these bytes and nothing else (a loose object). */
  public boolean whole() {
    return whole;
  }

  @Override
  public void close() throws IOException {
    synchronized (lock) {
      closed = true;
      FileChannel ch = channel;
      channel = null;
      if (ch != null) {
        ch.close();
      }
    }
  }

  @Override
  public String toString() {
    return "ObjectContent{" + file.getFileName() + (whole ? "" : "@" + base) + ", " + size + " bytes}";
  }
}
