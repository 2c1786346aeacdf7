package dev.strata.registry;

import dev.strata.digest.Digest;
import dev.strata.digest.DigestMismatchException;
import dev.strata.image.Descriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.function.LongConsumer;

/**
 * Downloads one blob into a file the caller owns, verified: a broken connection is retried
 * from the last byte received (a Range request), with a growing pause, and the whole file
 * must have the descriptor's size and digest. The digest runs over the bytes as they arrive,
 * so a resumed download is not read twice.
 */
final class BlobDownload {
  static final int ATTEMPTS = 5;
  private static final long FIRST_PAUSE_MILLIS = 200;

  private BlobDownload() {}

  static void run(Transport t, String repo, Descriptor blob, Path file, LongConsumer progress) throws IOException {
    MessageDigest md = Digest.newMessageDigest(blob.digest().algorithm());
    long have = 0;
    IOException last = null;
    try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      for (int attempt = 0; attempt < ATTEMPTS && have < blob.size() + 1; attempt++) {
        if (attempt > 0) {
          pause(FIRST_PAUSE_MILLIS << (attempt - 1));
        }
        try (InputStream in = Blobs.open(t, repo, blob.digest(), have)) {
          byte[] buf = new byte[1 << 16];
          for (int n; (n = in.read(buf)) > 0; ) {
            if (have + n > blob.size()) {
              throw DigestMismatchException.of("size of blob " + blob.digest() + " from " + t.host(), blob.size(),
                  "more than " + blob.size());
            }
            out.write(buf, 0, n);
            md.update(buf, 0, n);
            have += n;
            progress.accept(have);
          }
          if (have == blob.size()) {
            last = null;
            break;
          }
          last = new IOException("the connection closed at byte " + have + " of " + blob.size());
        } catch (RegistryException | DigestMismatchException e) {
          // An answer, not a broken connection: retrying gets the same one.
          if (!(e instanceof RegistryException r) || r.status() < 500) {
            throw e;
          }
          last = e;
        } catch (InterruptedIOException e) {
          throw e;
        } catch (IOException e) {
          last = e;
        }
      }
    }
    if (last != null || have != blob.size()) {
      throw new IOException("download of blob " + blob.digest() + " from " + t.host() + "/" + repo + " failed after "
          + ATTEMPTS + " attempts at byte " + have + " of " + blob.size() + ": "
          + (last != null ? Transport.describe(last) : "short"), last);
    }
    Digest actual = Digest.fromRaw(blob.digest().algorithm(), md.digest());
    if (!actual.equals(blob.digest())) {
      throw DigestMismatchException.of("digest of blob downloaded from " + t.host() + "/" + repo, blob.digest(), actual);
    }
  }

  private static void pause(long millis) throws InterruptedIOException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting to retry");
    }
  }
}
