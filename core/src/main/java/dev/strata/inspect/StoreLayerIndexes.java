package dev.strata.inspect;

import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.layer.IngestLimits;
import dev.strata.layer.LayerIndex;
import dev.strata.layout.Store;
import java.io.IOException;
import java.util.List;

/**
 * The indexes a store keeps of its layers. A layer whose index is gone (after
 * {@code fsck --repair}) but whose blob is still there is indexed from the blob, unstored.
 */
public final class StoreLayerIndexes implements LayerIndexSource {
  private final Store store;

  public StoreLayerIndexes(Store store) {
    this.store = store;
  }

  @Override
  public LayerIndex index(Descriptor layer, Digest diffId, List<LayerIndex> below) throws IOException {
    if (store.layers().contains(diffId)) {
      return store.layers().read(diffId);
    }
    if (!store.blobs().contains(layer.digest())) {
      throw new IOException("layer " + layer.digest() + " is neither indexed nor stored (run strata fsck)");
    }
    return new StreamedLayerIndexes(d -> store.blobs().open(d.digest()), IngestLimits.DEFAULT).index(layer, diffId, below);
  }
}
