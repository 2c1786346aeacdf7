package dev.strata.build;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.image.History;
import dev.strata.image.Image;
import dev.strata.image.Layer;
import dev.strata.image.Manifest;
import dev.strata.image.MediaType;
import dev.strata.image.Platform;
import dev.strata.image.json.ImageJson;
import dev.strata.transfer.Images;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Pure functions from images to images: each returns a new image and leaves its argument as it
 * was. A new image's manifest and config are written canonically (compact JSON, fields in spec
 * order), so the same inputs give the same digests; its layers are the argument's, untouched.
 */
public final class Mutations {
  private Mutations() {}

  /** An image with no layers for {@code platform}: what {@code FROM scratch} starts from. */
  public static Image scratch(Platform platform, BuildOptions options) throws IOException {
    return assemble(manifestType(options.format()), configType(options.format()), ConfigEditor.empty(platform, options.timestamp()),
        List.of(), ImmutableMap.of());
  }

  /** Returns {@code image} with {@code layer} on top, and {@code history} for it in the config. */
  public static Image append(Image image, Layer layer, History history) throws IOException {
    ConfigEditor config = ConfigEditor.of(image.rawConfig()).appendDiffId(layer.diffId()).history(history);
    List<Layer> layers = new ArrayList<>(image.layers());
    layers.add(layer);
    return assemble(image.manifest().mediaType(), image.manifest().config().mediaType(), config.bytes(), layers,
        image.manifest().annotations());
  }

  /** Returns {@code image} with its config changed by {@code change}. */
  public static Image editConfig(Image image, Consumer<ConfigEditor> change) throws IOException {
    ConfigEditor config = ConfigEditor.of(image.rawConfig());
    change.accept(config);
    return assemble(image.manifest().mediaType(), image.manifest().config().mediaType(), config.bytes(),
        image.layers(), image.manifest().annotations());
  }

  /** Returns {@code image} created at {@code time}. */
  public static Image created(Image image, Instant time) throws IOException {
    return editConfig(image, c -> c.created(time));
  }

  /**
   * Returns {@code image} in {@code format}: the manifest, config and layer media types of the
   * other format, the blobs the same bytes. An image with zstd layers has no Docker form.
   */
  public static Image convert(Image image, BuildOptions.Format format) throws IOException {
    if (image.manifest().mediaType().equals(manifestType(format))) {
      return image;
    }
    List<Layer> layers = new ArrayList<>();
    for (Layer l : image.layers()) {
      String type = layerType(l.descriptor().mediaType(), format);
      Descriptor d = new Descriptor(type, l.descriptor().digest(), l.descriptor().size(), l.descriptor().annotations(),
          l.descriptor().platform());
      layers.add(Layer.of(d, l.diffId(), l::open));
    }
    return assemble(manifestType(format), configType(format), image.rawConfig(), layers,
        image.manifest().annotations());
  }

  /**
   * Returns {@code image} rebuilt on {@code newBase}: its layers that {@code oldBase}'s layers
   * begin (by diff id) are replaced by {@code newBase}'s, and their history with theirs. The
   * layers above must not depend on what the old base held, which only their author knows.
   */
  public static Image rebase(Image image, Image oldBase, Image newBase) throws IOException {
    int n = oldBase.layers().size();
    List<Digest> ids = image.config().diffIds();
    if (ids.size() < n || !ids.subList(0, n).equals(oldBase.config().diffIds())) {
      throw new IllegalArgumentException("the image is not built on the old base: its first layers are not "
          + oldBase.descriptor().digest() + "'s");
    }
    List<Layer> layers = new ArrayList<>(newBase.layers());
    layers.addAll(image.layers().subList(n, image.layers().size()));
    int oldHistory = oldBase.config().history().size();
    List<History> history = new ArrayList<>(newBase.config().history());
    List<History> own = image.config().history();
    history.addAll(own.subList(Math.min(own.size(), oldHistory), own.size()));
    return replaceLayers(image, layers, history);
  }

  /** Returns {@code image} with {@code layers} for its own and {@code history} for its history. */
  static Image replaceLayers(Image image, List<Layer> layers, List<History> history) throws IOException {
    ConfigEditor config = ConfigEditor.of(image.rawConfig()).diffIds(layers.stream().map(Layer::diffId).toList())
        .replaceHistory(history);
    return assemble(image.manifest().mediaType(), image.manifest().config().mediaType(), config.bytes(), layers,
        image.manifest().annotations());
  }

  /** Makes an image of a config and layers: its manifest written canonically. */
  static Image assemble(String manifestType, String configType, byte[] config, List<Layer> layers,
      ImmutableMap<String, String> annotations) throws IOException {
    Descriptor configDescriptor = Descriptor.of(configType, Digest.sha256(config), config.length);
    Manifest manifest = new Manifest(manifestType, configDescriptor,
        layers.stream().map(Layer::descriptor).collect(ImmutableList.toImmutableList()), annotations);
    byte[] raw = ImageJson.write(manifest);
    return Images.of(raw, config, d -> {
      for (Layer l : layers) {
        if (l.descriptor().digest().equals(d.digest())) {
          return l.open();
        }
      }
      throw new java.nio.file.NoSuchFileException("blob " + d.digest() + " is not a layer of this image");
    });
  }

  static String manifestType(BuildOptions.Format format) {
    return format == BuildOptions.Format.OCI ? MediaType.OCI_MANIFEST : MediaType.DOCKER_MANIFEST;
  }

  static String configType(BuildOptions.Format format) {
    return format == BuildOptions.Format.OCI ? MediaType.OCI_CONFIG : MediaType.DOCKER_CONFIG;
  }

  private static String layerType(String type, BuildOptions.Format format) {
    boolean oci = format == BuildOptions.Format.OCI;
    return switch (type) {
      case MediaType.DOCKER_LAYER, MediaType.OCI_LAYER -> oci ? MediaType.OCI_LAYER : MediaType.DOCKER_LAYER;
      case MediaType.DOCKER_LAYER_GZIP, MediaType.OCI_LAYER_GZIP -> oci ? MediaType.OCI_LAYER_GZIP : MediaType.DOCKER_LAYER_GZIP;
      case MediaType.DOCKER_LAYER_FOREIGN_GZIP, MediaType.OCI_LAYER_ND_GZIP ->
          oci ? MediaType.OCI_LAYER_ND_GZIP : MediaType.DOCKER_LAYER_FOREIGN_GZIP;
      default -> {
        if (!oci) {
          throw new IllegalArgumentException("a layer of media type " + type + " has no Docker equivalent");
        }
        yield type;
      }
    };
  }
}
