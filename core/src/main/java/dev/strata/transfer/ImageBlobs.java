package dev.strata.transfer;

import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.image.Image;
import dev.strata.image.Layer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The blobs of an image as a writer copies them, byte for byte and each once (a manifest may
 * list one layer twice): the layers bottom first, then the config, then the manifest.
 */
final class ImageBlobs {
  private ImageBlobs() {}

  /** A blob to copy: its descriptor and a way to open its bytes. */
  record Blob(Descriptor descriptor, Layer.Opener opener) {
    InputStream open() throws IOException {
      return opener.open();
    }
  }

  /** Returns what the manifest points at: its layers and its config. */
  static List<Blob> content(Image image) {
    Map<Digest, Blob> blobs = new LinkedHashMap<>();
    for (Layer layer : image.layers()) {
      blobs.putIfAbsent(layer.descriptor().digest(), new Blob(layer.descriptor(), layer::open));
    }
    byte[] config = image.rawConfig();
    Descriptor d = image.manifest().config();
    blobs.putIfAbsent(d.digest(), new Blob(d, () -> new ByteArrayInputStream(config)));
    return new ArrayList<>(blobs.values());
  }

  /** Returns the content and, last, the manifest itself. */
  static List<Blob> all(Image image) {
    List<Blob> blobs = content(image);
    byte[] manifest = image.rawManifest();
    blobs.add(new Blob(image.descriptor(), () -> new ByteArrayInputStream(manifest)));
    return blobs;
  }
}
