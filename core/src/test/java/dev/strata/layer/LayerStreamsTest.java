package dev.strata.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.blob.ContentStore;
import dev.strata.blob.ObjectBatch;
import dev.strata.image.Compression;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Compressed layer blobs: labels that lie, truncated and corrupt streams, decompression bombs. */
class LayerStreamsTest {
  private static byte[] tar;
  private static byte[] gzip;
  private static byte[] zstd;

  @TempDir
  Path dir;
  private ContentStore objects;

  @BeforeAll
  static void buildLayer() {
    TarBuilder layer = new TarBuilder().dir("etc").file("etc/hosts", "127.0.0.1 localhost\n")
        .zeros("var/big", 300_000).file("var/after", "after the big file");
    tar = layer.toBytes();
    gzip = layer.gzip();
    zstd = layer.zstd();
  }

  @BeforeEach
  void setUp() {
    objects = ContentStore.fannedOut(dir.resolve("objects"), dir.resolve("tmp"));
  }

  @Test
  void sniffsTheCompressionWithoutConsumingIt() throws IOException {
    for (var c : new Object[][] {{tar, Compression.NONE}, {gzip, Compression.GZIP}, {zstd, Compression.ZSTD},
        {new byte[0], Compression.NONE}, {new byte[] {0x1f}, Compression.NONE}}) {
      byte[] bytes = (byte[]) c[0];
      BufferedInputStream in = new BufferedInputStream(new ByteArrayInputStream(bytes));

      assertThat(LayerStreams.sniff(in)).isEqualTo(c[1]);
      assertThat(in.readAllBytes()).isEqualTo(bytes);
    }
  }

  @Test
  void decompressesToTheTar() throws IOException {
    assertThat(LayerStreams.decompress(new ByteArrayInputStream(tar), Compression.NONE).readAllBytes()).isEqualTo(tar);
    assertThat(LayerStreams.decompress(new ByteArrayInputStream(gzip), Compression.GZIP).readAllBytes()).isEqualTo(tar);
    assertThat(LayerStreams.decompress(new ByteArrayInputStream(zstd), Compression.ZSTD).readAllBytes()).isEqualTo(tar);
  }

  @ParameterizedTest(name = "labelled {0}, bytes are {1}")
  @CsvSource({
      "GZIP, ZSTD, 'its media type says gzip but its bytes are zstd'",
      "ZSTD, GZIP, 'its media type says zstd but its bytes are gzip'",
      "GZIP, NONE, 'its media type says gzip but its bytes are uncompressed tar'",
      "ZSTD, NONE, 'its media type says zstd but its bytes are uncompressed tar'",
      "NONE, GZIP, 'its media type says uncompressed tar but its bytes are gzip'",
      "NONE, ZSTD, 'its media type says uncompressed tar but its bytes are zstd'"})
  void refusesBytesThatContradictTheLabel(Compression declared, Compression actual, String message) {
    byte[] blob = switch (actual) {
      case NONE -> tar;
      case GZIP -> gzip;
      case ZSTD -> zstd;
    };

    assertThatThrownBy(() -> LayerStreams.decompress(new ByteArrayInputStream(blob), declared))
        .isInstanceOf(UnsafeLayerException.class)
        .hasMessage(message);
  }

  @Test
  void truncatedGzip() throws IOException {
    assertRefused(Arrays.copyOf(gzip, gzip.length / 2), Compression.GZIP, "the gzip stream is truncated: it ends inside member 1");
  }

  @Test
  void gzipWithoutItsTrailer() throws IOException {
    assertRefused(Arrays.copyOf(gzip, gzip.length - 4), Compression.GZIP, "the gzip stream is truncated: it ends inside member 1");
  }

  @Test
  void truncatedZstd() throws IOException {
    assertRefused(Arrays.copyOf(zstd, zstd.length / 2), Compression.ZSTD, "truncated or corrupt zstd stream");
  }

  @Test
  void zstdWithoutItsLastByte() throws IOException {
    assertRefused(Arrays.copyOf(zstd, zstd.length - 1), Compression.ZSTD, "zstd");
  }

  @Test
  void gzipWithAWrongCrc() throws IOException {
    byte[] corrupt = gzip.clone();
    corrupt[corrupt.length - 6] ^= 0x5a; // inside the CRC32 of the trailer

    assertRefused(corrupt, Compression.GZIP, "corrupt gzip stream: member 1 at byte 0: its CRC-32 does not match its data");
  }

  @Test
  void gzipWithGarbageInTheDeflateStream() throws IOException {
    byte[] corrupt = gzip.clone();
    Arrays.fill(corrupt, 12, 40, (byte) 0xff);

    assertRefused(corrupt, Compression.GZIP, "corrupt gzip stream: member 1 at byte 0: its deflate data is corrupt");
  }

  @Test
  void zstdWithGarbageInTheFrame() throws IOException {
    byte[] corrupt = zstd.clone();
    Arrays.fill(corrupt, 8, corrupt.length - 4, (byte) 0x55);

    assertRefused(corrupt, Compression.ZSTD, "zstd");
  }

  @Test
  void decompressionBombFailsFast() throws IOException {
    // 50 MB of zeros gzips to about 50 KB; a 10 MB limit must stop reading right after 10 MB.
    byte[] bomb = new TarBuilder().zeros("zeros", 50_000_000).gzip();
    assertThat(bomb.length).isLessThan(200_000);
    IngestLimits tenMegabytes = IngestLimits.DEFAULT.withMaxUncompressedBytes(10_000_000);
    long[] inflated = new long[1];
    InputStream counted = new FilterInputStream(LayerStreams.decompress(new ByteArrayInputStream(bomb), Compression.GZIP)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        inflated[0] += Math.max(n, 0);
        return n;
      }

      @Override
      public int read() throws IOException {
        int b = super.read();
        inflated[0] += b >= 0 ? 1 : 0;
        return b;
      }
    };

    assertRefusedStream(counted, tenMegabytes, UnsafeLayerException.class,
        "layer expands to more than 10000000 bytes");
    assertThat(inflated[0]).isBetween(10_000_000L, 10_000_000L + (1 << 17));
  }

  @Test
  void zstdBombFailsToo() throws IOException {
    byte[] bomb = new TarBuilder().zeros("zeros", 20_000_000).zstd();
    IngestLimits limit = IngestLimits.DEFAULT.withMaxUncompressedBytes(5_000_000);

    assertRefusedStream(LayerStreams.decompress(new ByteArrayInputStream(bomb), Compression.ZSTD), limit,
        UnsafeLayerException.class, "possible decompression bomb");
  }

  private void assertRefused(byte[] blob, Compression compression, String problem) throws IOException {
    assertRefusedStream(LayerStreams.decompress(new ByteArrayInputStream(blob), compression), IngestLimits.DEFAULT,
        UnsafeLayerException.class, problem);
  }

  private void assertRefusedStream(InputStream in, IngestLimits limits, Class<? extends IOException> type,
      String problem) throws IOException {
    try (ObjectBatch batch = objects.batch()) {
      assertThatThrownBy(() -> LayerIngest.ingest(in, batch, LowerFiles.NONE, limits))
          .isInstanceOf(type)
          .hasMessageContaining(problem);
    }
    assertThat(objects.list(stray -> { })).isEmpty();
    Path tmp = dir.resolve("tmp");
    try (Stream<Path> files = Files.walk(tmp)) {
      assertThat(files.filter(p -> !p.equals(tmp)).toList()).isEmpty();
    }
  }
}
