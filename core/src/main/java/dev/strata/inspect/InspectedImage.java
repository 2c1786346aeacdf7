package dev.strata.inspect;

import com.google.common.collect.ImmutableList;
import dev.strata.digest.Digest;
import dev.strata.digest.DigestMismatchException;
import dev.strata.image.Descriptor;
import dev.strata.image.History;
import dev.strata.image.ImageConfig;
import dev.strata.image.Manifest;
import dev.strata.image.MediaType;
import dev.strata.image.Platform;
import dev.strata.image.json.ImageJson;
import dev.strata.layer.LayerIndex;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import dev.strata.transfer.ImageSource;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * An image being inspected: its manifest and config, read at once, and its layer indexes, read
 * on first use from wherever {@link LayerIndexSource} finds them. Commands that need only the
 * config (history) never touch a layer.
 */
public final class InspectedImage {
  private static final int MAX_CONFIG = 64 << 20;

  private final String name;
  private final Digest digest;
  private final Manifest manifest;
  private final ImageConfig config;
  private final LayerIndexSource indexes;
  private ImmutableList<LayerIndex> layers;

  InspectedImage(String name, Digest digest, Manifest manifest, ImageConfig config, LayerIndexSource indexes)
      throws IOException {
    if (config.diffIds().size() != manifest.layers().size()) {
      throw new IOException("image '" + name + "': the config lists " + config.diffIds().size()
          + " diff_ids but the manifest has " + manifest.layers().size() + " layers");
    }
    this.name = name;
    this.digest = digest;
    this.manifest = manifest;
    this.config = config;
    this.indexes = indexes;
  }

  /** Opens the image the store holds as {@code name} (a tag or manifest digest). */
  public static InspectedImage fromStore(Store store, String name) throws IOException {
    StoredImage image = StoredImage.load(store, name);
    return new InspectedImage(name, image.descriptor().digest(), image.manifest(), image.config(),
        new StoreLayerIndexes(store));
  }

  /**
   * Opens the image of {@code source} for {@code platform}, reading its manifest and config;
   * layers are streamed from the source when first needed and stored nowhere.
   */
  public static InspectedImage fromSource(ImageSource source, Platform platform, String name,
      LayerIndexSource indexes) throws IOException {
    ImageSource.SourceManifest sm = source.manifest(platform);
    Manifest manifest = ImageJson.parseManifest(sm.bytes());
    if (!MediaType.isConfig(manifest.config().mediaType())) {
      throw new IOException("unsupported config media type " + manifest.config().mediaType()
          + " (this is not a container image)");
    }
    ImageConfig config = ImageJson.parseConfig(readConfig(source, manifest.config()));
    return new InspectedImage(name, sm.descriptor().digest(), manifest, config, indexes);
  }

  private static byte[] readConfig(ImageSource source, Descriptor d) throws IOException {
    if (d.size() > MAX_CONFIG) {
      throw new IOException("config " + d.digest() + " declares " + d.size() + " bytes; refusing more than 64 MiB");
    }
    try (InputStream in = source.openBlob(d)) {
      byte[] bytes = in.readNBytes((int) d.size() + 1);
      boolean sha256 = d.digest().algorithm().equals(Digest.SHA256);
      if (bytes.length != d.size() || sha256 && !Digest.sha256(bytes).equals(d.digest())) {
        throw new DigestMismatchException("config " + d.digest() + " does not match its descriptor");
      }
      return bytes;
    }
  }

  /** Returns the name the image was opened by. */
  public String name() {
    return name;
  }

  /** Returns the manifest's digest. */
  public Digest digest() {
    return digest;
  }

  public Manifest manifest() {
    return manifest;
  }

  public ImageConfig config() {
    return config;
  }

  /** Returns how many layers the image has. */
  public int layerCount() {
    return manifest.layers().size();
  }

  /** Returns the history step that made layer {@code i} (0-based), or null when the config has none. */
  public History layerHistory(int i) {
    List<History> steps = config.layerHistory();
    return i < steps.size() ? steps.get(i) : null;
  }

  /** Returns every layer's index, bottom first, reading them on the first call. */
  public synchronized ImmutableList<LayerIndex> layers() throws IOException {
    if (layers == null) {
      List<LayerIndex> read = new ArrayList<>();
      for (int i = 0; i < manifest.layers().size(); i++) {
        read.add(indexes.index(manifest.layers().get(i), config.diffIds().get(i), List.copyOf(read)));
      }
      layers = ImmutableList.copyOf(read);
    }
    return layers;
  }
}
