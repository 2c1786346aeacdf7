package dev.strata.blob;

import dev.strata.digest.Digest;
import dev.strata.digest.DigestMismatchException;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * A blob being written: bytes go to a temp file and a digest at once; {@link #commit} checks
 * them and renames the file into place. Closing without commit deletes the temp file, so an
 * interrupted write leaves nothing visible.
 */
public final class PendingBlob implements AutoCloseable {
  private final ContentStore store;
  private final Path temp;
  private final MessageDigest sha256 = Digest.newMessageDigest(Digest.SHA256);
  private final OutputStream file;
  private final OutputStream output;
  private long size;
  private boolean done;

  PendingBlob(ContentStore store, Path temp) throws IOException {
    this.store = store;
    this.temp = temp;
    this.file = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 16);
    this.output = new FilterOutputStream(file) {
      @Override
      public void write(int b) throws IOException {
        sha256.update((byte) b);
        size++;
        file.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        sha256.update(b, off, len);
        size += len;
        file.write(b, off, len);
      }

      @Override
      public void close() {
        // Closed by commit or abort, never by a caller's try-with-resources on the stream.
      }
    };
  }

  /** Returns the stream to write the blob's bytes to. */
  public OutputStream output() {
    return output;
  }

  /** Returns how many bytes were written so far. */
  public long size() {
    return size;
  }

  /**
   * Verifies the written bytes against {@code expected} (null: any) and {@code expectedSize}
   * (-1: any), makes them durable and renames them into place. Returns their digest.
   */
  public Digest commit(Digest expected, long expectedSize) throws IOException {
    file.close();
    Digest actual;
    if (expected != null && !expected.algorithm().equals(Digest.SHA256)) {
      // Rare: a sha512-addressed blob. Re-read the temp file with the right algorithm.
      try (var in = new dev.strata.digest.DigestingInputStream(Files.newInputStream(temp), expected.algorithm())) {
        in.transferTo(OutputStreams.NULL);
        actual = in.digest();
      }
    } else {
      actual = Digest.fromRaw(Digest.SHA256, sha256.digest());
    }
    if (expectedSize >= 0 && expectedSize != size) {
      throw DigestMismatchException.of("size of blob " + (expected != null ? expected : actual), expectedSize, size);
    }
    if (expected != null && !expected.equals(actual)) {
      throw DigestMismatchException.of("blob digest", expected, actual);
    }
    Durability.fsync(temp);
    if (store.place(temp, actual)) {
      Durability.fsyncDirectory(store.path(actual).getParent());
    }
    done = true;
    return actual;
  }

  @Override
  public void close() throws IOException {
    if (!done) {
      try {
        file.close();
      } finally {
        Files.deleteIfExists(temp);
      }
    }
  }
}
