package dev.strata.digest;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import org.junit.jupiter.api.Test;

class DigestingInputStreamTest {
  private static final byte[] CONTENT = "the quick brown fox jumps over the lazy dog".getBytes(UTF_8);

  @Test
  void passesBytesThroughWhileDigestingAndCounting() throws IOException {
    DigestingInputStream in = DigestingInputStream.sha256(new ByteArrayInputStream(CONTENT));

    assertThat(in.readAllBytes()).isEqualTo(CONTENT);
    assertThat(in.count()).isEqualTo(CONTENT.length);
    assertThat(in.digest()).isEqualTo(Digest.sha256(CONTENT));
  }

  @Test
  void singleByteReadsDigestTheSame() throws IOException {
    DigestingInputStream in = DigestingInputStream.sha256(new ByteArrayInputStream(CONTENT));
    while (in.read() >= 0) {
      // drain
    }

    assertThat(in.count()).isEqualTo(CONTENT.length);
    assertThat(in.digest()).isEqualTo(Digest.sha256(CONTENT));
  }

  @Test
  void skippedBytesAreStillDigested() throws IOException {
    DigestingInputStream in = DigestingInputStream.sha256(new ByteArrayInputStream(CONTENT));

    assertThat(in.skip(10)).isEqualTo(10);
    in.transferTo(OutputStream.nullOutputStream());

    assertThat(in.count()).isEqualTo(CONTENT.length);
    assertThat(in.digest()).isEqualTo(Digest.sha256(CONTENT));
  }

  @Test
  void skipPastTheEndStopsAtTheEnd() throws IOException {
    DigestingInputStream in = DigestingInputStream.sha256(new ByteArrayInputStream(CONTENT));

    assertThat(in.skip(1_000_000)).isEqualTo(CONTENT.length);
    assertThat(in.digest()).isEqualTo(Digest.sha256(CONTENT));
  }

  @Test
  void digestsWithSha512() throws IOException {
    DigestingInputStream in = new DigestingInputStream(new ByteArrayInputStream(new byte[0]), Digest.SHA512);
    in.transferTo(OutputStream.nullOutputStream());

    assertThat(in.digest().hex()).startsWith("cf83e1357eefb8bd");
    assertThat(in.markSupported()).isFalse();
  }
}
