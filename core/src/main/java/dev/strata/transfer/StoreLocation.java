package dev.strata.transfer;

import dev.strata.image.Descriptor;
import dev.strata.image.Image;
import dev.strata.image.Platform;
import dev.strata.layer.IngestLimits;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.io.IOException;

/** An image of the store by name: read from its blobs, written as a pull, verified and indexed. */
final class StoreLocation implements ImageLocation {
  private final Store store;
  private final String name;

  StoreLocation(Store store, String name) {
    this.store = store;
    this.name = name;
  }

  @Override
  public Image read(Platform platform) throws IOException {
    return Images.of(store, StoredImage.load(store, name));
  }

  @Override
  public Descriptor write(Image image) throws IOException {
    return new Puller(store, IngestLimits.DEFAULT, e -> { }).pull(Images.source(image, name), name, Platform.current())
        .manifest();
  }

  @Override
  public void close() {}

  @Override
  public String toString() {
    return name + " in the store " + store.root();
  }
}
