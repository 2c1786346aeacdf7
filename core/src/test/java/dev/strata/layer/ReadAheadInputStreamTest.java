package dev.strata.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The read-ahead thread passes every byte in order, and its failures reach the reader. */
class ReadAheadInputStreamTest {
  @Test
  void passesEveryByteInOrder() throws IOException {
    byte[] data = new byte[3_000_001];
    new Random(7).nextBytes(data);
    try (ReadAheadInputStream in = new ReadAheadInputStream(new ByteArrayInputStream(data), "test")) {
      byte[] out = new byte[data.length];
      int pos = 0;
      int n;
      // Odd read sizes, and single bytes, cross chunk boundaries.
      while ((n = in.read(out, pos, Math.min(777, out.length - pos))) > 0) {
        pos += n;
        if (pos < out.length) {
          int b = in.read();
          out[pos++] = (byte) b;
        }
      }
      assertThat(pos).isEqualTo(data.length);
      assertThat(out).isEqualTo(data);
      assertThat(in.read()).isEqualTo(-1);
      in.awaitSource();
    }
  }

  @Test
  void aDigestingStreamHashesTheWholeSourceOnItsThread() throws IOException {
    byte[] data = new byte[1_000_003];
    new Random(11).nextBytes(data);
    try (ReadAheadInputStream in = ReadAheadInputStream.digesting(new ByteArrayInputStream(data), "test")) {
      assertThat(in.digests()).isTrue();
      in.readNBytes(12_345);
      // Not before the end: the thread may still be hashing.
      assertThatThrownBy(in::sha256AtEnd).isInstanceOf(IllegalStateException.class);
      in.transferTo(java.io.OutputStream.nullOutputStream());
      assertThat(in.sha256AtEnd()).isEqualTo(dev.strata.digest.Digest.sha256(data));
      assertThat(in.countAtEnd()).isEqualTo(data.length);
    }
  }

  @Test
  void aFailureOfTheSourceIsRethrownToTheReader() {
    InputStream failing = new InputStream() {
      private int count;

      @Override
      public int read() throws IOException {
        if (count++ > 1000) {
          throw new IOException("disk on fire");
        }
        return 1;
      }
    };
    assertThatThrownBy(() -> {
      try (ReadAheadInputStream in = new ReadAheadInputStream(failing, "test")) {
        in.readAllBytes();
      }
    }).isInstanceOf(IOException.class).hasMessage("disk on fire");
  }

  @Test
  void closingAnAbandonedStreamEndsTheThread() throws IOException {
    InputStream endless = new InputStream() {
      @Override
      public int read() {
        return 0;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        return len;
      }
    };
    ReadAheadInputStream in = new ReadAheadInputStream(endless, "test");
    assertThat(in.read()).isZero();
    in.close();
    in.awaitSource(); // returns: the thread has ended
  }
}
