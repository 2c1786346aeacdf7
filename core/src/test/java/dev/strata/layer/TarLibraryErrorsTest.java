package dev.strata.layer;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * A layer the tar library cannot read is a refused layer, named; a stream that fails under the
 * reader (a download cut off) is not, and must reach the caller as the failure it is.
 */
class TarLibraryErrorsTest {
  @Test
  void aFailingSourceIsNotARefusedLayer() {
    byte[] tar = new TarBuilder().file("a", "a".repeat(5000)).file("b", "b").toBytes();
    for (int cut : new int[] {100, 700, 3000, 6000}) {
      InputStream failing = new FilterInputStream(new ByteArrayInputStream(tar, 0, cut)) {
        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          int n = super.read(b, off, len);
          if (n < 0) {
            throw new IOException("connection reset");
          }
          return n;
        }

        @Override
        public int read() throws IOException {
          throw new UnsupportedOperationException();
        }
      };

      assertThatThrownBy(() -> LayerIngest.ingest(failing, TarLibraryErrorsTest::discard, LowerFiles.NONE,
          IngestLimits.DEFAULT)).as("cut at %d", cut).isNotInstanceOf(UnsafeLayerException.class)
          .hasMessage("connection reset");
    }
  }

  @Test
  void whatOnlyTheLibraryRefusesIsNamed() {
    // A PAX 0.1 sparse map whose pieces overlap: the headers are well formed, and the library
    // refuses the map as it builds the file, before any check of Strata's sees it.
    byte[] tar = new TarBuilder().file("first", "1").paxRecord("GNU.sparse.size", "2048")
        .paxRecord("GNU.sparse.numblocks", "2").paxRecord("GNU.sparse.map", "0,1024,512,512")
        .paxRecord("GNU.sparse.name", "sp").file("GNUSparseFile.0/sp", "a".repeat(1536)).toBytes();

    assertThatThrownBy(() -> LayerIngest.ingest(new ByteArrayInputStream(tar), TarLibraryErrorsTest::discard,
        LowerFiles.NONE, IngestLimits.DEFAULT)).isInstanceOf(UnsafeLayerException.class)
        .hasMessageStartingWith("entry 'sp' (tar header at byte 2048): the tar library cannot read it: ")
        .hasMessageContaining("overlap");
  }

  private static dev.strata.digest.Digest discard(InputStream in, long size) throws IOException {
    in.skipNBytes(size);
    return dev.strata.digest.Digest.sha256(new byte[0]);
  }
}
