package dev.strata.transfer;

import dev.strata.image.Descriptor;
import dev.strata.image.Image;
import dev.strata.image.Platform;
import dev.strata.layout.Store;
import dev.strata.registry.RegistryOptions;
import java.io.IOException;

/**
 * An OCI layout, an archive or a registry: read through the {@link ImageSource} of its kind
 * (kept open, and closed with this location, since the image's layers are read from it), written
 * by {@link Pusher}'s writer of its kind.
 */
final class TransportLocation implements ImageLocation {
  private final Transports.Location location;
  private final Store store;
  private final RegistryOptions options;
  private final TransferProgress progress;
  private ImageSource source;

  TransportLocation(Transports.Location location, Store store, RegistryOptions options, TransferProgress progress) {
    this.location = location;
    this.store = store;
    this.options = options;
    this.progress = progress;
  }

  @Override
  public synchronized Image read(Platform platform) throws IOException {
    if (source == null) {
      source = Transports.open(location, store, options, progress);
    }
    return Images.read(source, platform);
  }

  @Override
  public Descriptor write(Image image) throws IOException {
    String name = location.ref() != null ? location.ref() : "latest";
    return Pusher.write(store, image, name, location, options, progress, null);
  }

  @Override
  public synchronized void close() throws IOException {
    if (source != null) {
      source.close();
      source = null;
    }
  }

  @Override
  public String toString() {
    return location.toString();
  }
}
