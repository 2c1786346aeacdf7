package dev.strata.transfer;

import dev.strata.image.Descriptor;
import dev.strata.image.Image;
import dev.strata.image.Platform;
import dev.strata.layer.IngestLimits;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * An image of the store by name. Read: its blobs, as they are, with the store's lock held
 * shared until close, so that gc keeps the blobs the image opens. Written: pulled in, as any
 * image from elsewhere (verified, its layers indexed, the name tagged last).
 */
final class StoreLocation implements ImageLocation {
  private final Store store;
  private final String name;
  private final Consumer<Puller.LayerEvent> events;
  private Store.Lock lock;

  StoreLocation(Store store, String name, Consumer<Puller.LayerEvent> events) {
    this.store = store;
    this.name = name;
    this.events = events;
  }

  /** Reads the image; the store holds one platform per name, so {@code platform} chooses nothing. */
  @Override
  public synchronized Image read(Platform platform) throws IOException {
    if (lock == null) {
      lock = store.shared();
    }
    return Images.of(store, StoredImage.load(store, name));
  }

  @Override
  public Descriptor write(Image image) throws IOException {
    return new Puller(store, IngestLimits.DEFAULT, events).pull(Images.source(image, name), name, Platform.current())
        .manifest();
  }

  @Override
  public synchronized void close() {
    if (lock != null) {
      lock.close();
      lock = null;
    }
  }

  @Override
  public String toString() {
    return "image '" + name + "' of the store " + store.root();
  }
}
