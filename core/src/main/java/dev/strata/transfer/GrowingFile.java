package dev.strata.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file being downloaded, read while it grows: the reader gets the bytes written so far and
 * waits for more, and sees the end only once the download is complete and verified (or its
 * error, if it failed). So ingest runs behind the network instead of after it, and a
 * resumed download is invisible to the reader.
 */
final class GrowingFile {
  private final Path file;
  private long written;
  private boolean done;
  private IOException failed;

  GrowingFile(Path file) throws IOException {
    this.file = file;
    Files.createFile(file);
  }

  Path path() {
    return file;
  }

  synchronized void advance(long bytes) {
    written = bytes;
    notifyAll();
  }

  synchronized void finish() {
    done = true;
    notifyAll();
  }

  synchronized void fail(IOException e) {
    failed = e;
    notifyAll();
  }

  /** How many bytes may be read at {@code pos}: 0 at the end; waits while there are none yet. */
  private synchronized long readable(long pos) throws IOException {
    while (pos >= written && !done && failed == null) {
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for " + file.getFileName());
      }
    }
    if (failed != null) {
      throw failed;
    }
    return written - pos;
  }

  /**
   * A reader of the file. Once it has returned the end, the download is complete and verified,
   * and {@link #takeVerifiedFile} may hand the file itself over instead of a copy of it.
   */
  abstract static class Reader extends InputStream {
    /**
     * Returns the file, now the caller's (closing the reader no longer deletes it); only after
     * the reader has returned the end, which it does only for a whole, verified download.
     */
    abstract Path takeVerifiedFile();
  }

  /** Opens a reader from the first byte; closing it deletes the file unless it was taken. */
  Reader open() throws IOException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    return new Reader() {
      private long pos;
      private boolean atEnd;
      private boolean taken;

      @Override
      Path takeVerifiedFile() {
        if (!atEnd) {
          throw new IllegalStateException(file.getFileName() + " was not read to its verified end");
        }
        taken = true;
        return file;
      }

      @Override
      public int read() throws IOException {
        // Single bytes are rare here (ingest reads in blocks): no buffer of our own.
        ByteBuffer one = ByteBuffer.allocate(1);
        while (readable(pos) > 0) {
          if (channel.read(one, pos) > 0) {
            pos++;
            return one.get(0) & 0xff;
          }
        }
        atEnd = true;
        return -1;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
          return 0;
        }
        long avail = readable(pos);
        if (avail == 0) {
          atEnd = true;
          return -1;
        }
        int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, avail)), pos);
        if (n > 0) {
          pos += n;
        }
        return n;
      }

      @Override
      public void close() throws IOException {
        try {
          channel.close();
        } finally {
          if (!taken) {
            Files.deleteIfExists(file);
          }
        }
      }
    };
  }
}
