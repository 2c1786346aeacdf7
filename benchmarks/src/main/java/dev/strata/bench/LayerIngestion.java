package dev.strata.bench;

import dev.strata.blob.ObjectBatch;
import dev.strata.digest.DigestMismatchException;
import dev.strata.layer.IngestLimits;
import dev.strata.layer.LayerIndex;
import dev.strata.layer.LayerIngest;
import dev.strata.layer.LayerStreams;
import dev.strata.layer.LowerFiles;
import dev.strata.layer.ReadAheadInputStream;
import dev.strata.layout.Store;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;

/**
 * Ingests one layer blob into a store the way Puller does for a layer it reads from a source
 * (batch, decompression on a read-ahead thread, diff id check, commit, index), without the tee
 * into the store's blob: a benchmark of the ingest itself, not of copying the compressed blob.
 */
final class LayerIngestion {
  private LayerIngestion() {}

  /**
   * Ingests {@code layer} into {@code store}. With {@code readAhead} false, decompression runs
   * on the calling thread, to show what the second thread buys.
   */
  static LayerIngest.Result ingest(Store store, LayerBlob layer, boolean readAhead) throws IOException {
    try (ObjectBatch objects = store.objects().batch();
        InputStream blob = Files.newInputStream(layer.file());
        InputStream tar = LayerStreams.decompress(blob, layer.compression())) {
      LayerIngest.Result result;
      if (readAhead) {
        try (ReadAheadInputStream ahead = new ReadAheadInputStream(tar, "strata-bench-decompress")) {
          result = LayerIngest.ingest(ahead, objects, LowerFiles.NONE, IngestLimits.DEFAULT, store.tmp());
          ahead.awaitSource();
        }
      } else {
        result = LayerIngest.ingest(tar, objects, LowerFiles.NONE, IngestLimits.DEFAULT, store.tmp());
      }
      // A wrong layout would make every number meaningless; the check costs nothing.
      if (!result.diffId().equals(layer.diffId())) {
        throw DigestMismatchException.of("diff id of " + layer.file(), layer.diffId(), result.diffId());
      }
      objects.commit();
      store.layers().adopt(result.indexFile(), result.diffId());
      return result;
    }
  }
}
