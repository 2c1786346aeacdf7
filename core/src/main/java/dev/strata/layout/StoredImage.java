package dev.strata.layout;

import dev.strata.image.Descriptor;
import dev.strata.image.ImageConfig;
import dev.strata.image.ImageIndex;
import dev.strata.image.Manifest;
import dev.strata.image.MediaType;
import dev.strata.image.json.ImageJson;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.List;

/**
 * An image as the store holds it: its manifest descriptor, manifest, config (parsed and raw).
 *
 * @param name the tag (or digest) it was looked up by
 */
public record StoredImage(String name, Descriptor descriptor, Manifest manifest, ImageConfig config, byte[] configBytes) {

  /** Loads the image tagged (or with manifest digest) {@code name}. */
  public static StoredImage load(Store store, String name) throws IOException {
    Descriptor d = store.resolve(name)
        .orElseThrow(() -> new NoSuchImageException("no image named '" + name + "' in the store " + store.root()));
    return load(store, name, d);
  }

  /** Loads the image whose manifest is {@code d}, tagged or not (a container's image), as {@code name}. */
  public static StoredImage load(Store store, String name, Descriptor d) throws IOException {
    byte[] manifestBytes;
    try {
      manifestBytes = store.blobs().readAllBytes(d.digest());
    } catch (NoSuchFileException e) {
      throw new IOException("image '" + name + "': manifest blob " + d.digest() + " is missing (run strata fsck)");
    }
    String type = d.mediaType() != null ? d.mediaType() : ImageJson.mediaTypeOf(manifestBytes);
    if (MediaType.isIndex(type)) {
      ImageIndex index = ImageJson.parseIndex(manifestBytes);
      throw new IOException("image '" + name + "' is an index of " + index.manifests().size()
          + " manifests; Strata stores one platform per name");
    }
    Manifest manifest = ImageJson.parseManifest(manifestBytes);
    byte[] configBytes;
    try {
      configBytes = store.blobs().readAllBytes(manifest.config().digest());
    } catch (NoSuchFileException e) {
      throw new IOException("image '" + name + "': config blob " + manifest.config().digest() + " is missing");
    }
    ImageConfig config = ImageJson.parseConfig(configBytes);
    return new StoredImage(name, d, manifest, config, configBytes);
  }

  /**
   * Returns why this image cannot be mounted from {@code store}, or null if it can: a layer
   * needs its index (and objects) or, to be indexed at its first mount, its blob, whole and of
   * a media type Strata reads.
   */
  public String unmountable(Store store) throws IOException {
    List<Descriptor> layers = manifest.layers();
    if (config.diffIds().size() != layers.size()) {
      return "the config lists " + config.diffIds().size() + " diff_ids but the manifest has " + layers.size()
          + " layers";
    }
    for (int i = 0; i < layers.size(); i++) {
      Descriptor layer = layers.get(i);
      if (store.layers().contains(config.diffIds().get(i))) {
        continue;
      }
      String which = "layer " + (i + 1) + " (" + layer.digest() + ")";
      if (!store.blobs().contains(layer.digest())) {
        return which + " has neither an index nor its blob in the store";
      }
      if (store.blobs().size(layer.digest()) != layer.size()) {
        return which + " has no index, and its blob is " + store.blobs().size(layer.digest())
            + " bytes where the manifest says " + layer.size();
      }
      if (!MediaType.isLayer(layer.mediaType())) {
        return which + " has no index, and its media type " + layer.mediaType() + " is not a layer Strata reads";
      }
    }
    return null;
  }
}
