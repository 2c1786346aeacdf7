package dev.strata.digest;

import java.io.IOException;
import java.io.InputStream;

/** Stream helpers shared by the streams that must see every byte that passes. */
public final class Streams {
  private Streams() {}

  /**
   * Skips {@code n} bytes of {@code in} by reading them through {@code in} itself, for streams
   * that digest, tee or watch what passes and so must not let a skip go around them.
   */
  public static long skipByReading(InputStream in, long n) throws IOException {
    byte[] buffer = new byte[8192];
    long done = 0;
    while (done < n) {
      int r = in.read(buffer, 0, (int) Math.min(buffer.length, n - done));
      if (r < 0) {
        break;
      }
      done += r;
    }
    return done;
  }
}
