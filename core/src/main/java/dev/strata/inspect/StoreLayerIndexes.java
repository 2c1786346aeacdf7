package dev.strata.inspect;

import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.layer.IngestLimits;
import dev.strata.layer.LayerIndex;
import dev.strata.layout.Store;
import dev.strata.transfer.ImageSource;
import java.io.IOException;
import java.io.InputStream;
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
    return new StreamedLayerIndexes(new StoreBlobs(store), IngestLimits.DEFAULT).index(layer, diffId, below);
  }

  /** The store's blobs as a source, for a layer read from its blob. */
  private record StoreBlobs(Store store) implements ImageSource {
    @Override
    public SourceManifest manifest(dev.strata.image.Platform platform) {
      throw new UnsupportedOperationException("only blobs are read here");
    }

    @Override
    public InputStream openBlob(Descriptor descriptor) throws IOException {
      return store.blobs().open(descriptor.digest());
    }

    @Override
    public String suggestedName() {
      return store.root().toString();
    }

    @Override
    public void close() {}
  }
}
