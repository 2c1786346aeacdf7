package dev.strata.transfer;

import dev.strata.image.Descriptor;
import dev.strata.image.Image;
import dev.strata.image.Layer;
import dev.strata.layout.Store;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The blobs of an image being written somewhere: its manifest, config and layers, read from the
 * image itself, or from the store's file when the store holds the blob (which a registry upload
 * can send straight from the file).
 */
final class ImageBlobs {
  private ImageBlobs() {}

  /** Opens blob {@code d} of {@code image}. */
  static InputStream open(Image image, Descriptor d) throws IOException {
    if (d.digest().equals(image.descriptor().digest())) {
      return new ByteArrayInputStream(image.rawManifest());
    }
    if (d.digest().equals(image.manifest().config().digest())) {
      return new ByteArrayInputStream(image.rawConfig());
    }
    for (Layer l : image.layers()) {
      if (l.descriptor().digest().equals(d.digest())) {
        return l.open();
      }
    }
    throw new NoSuchFileException("blob " + d.digest() + " is not part of image " + image.descriptor().digest());
  }

  /** The store's file of blob {@code d}, whole; null when {@code store} is null or lacks it. */
  static Path file(Store store, Descriptor d) throws IOException {
    if (store == null || store.blobs().size(d.digest()) != d.size()) {
      return null;
    }
    return store.blobs().path(d.digest());
  }
}
