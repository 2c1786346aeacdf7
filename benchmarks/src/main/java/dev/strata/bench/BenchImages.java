package dev.strata.bench;

import dev.strata.image.Descriptor;
import dev.strata.image.ImageConfig;
import dev.strata.image.ImageIndex;
import dev.strata.image.Manifest;
import dev.strata.image.MediaType;
import dev.strata.image.json.ImageJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Finds the test images that scripts/make-images.sh builds. The benchmarks read the layout
 * directly rather than through a transfer source, so that nothing but the measured work (and
 * no store) is involved in locating a layer.
 */
final class BenchImages {
  /** The Debian minbase image: one ~83 MB gzip layer, ~150 MB and ~6,800 entries unpacked. */
  static final String MINBASE = "minbase";

  private BenchImages() {}

  /**
   * Returns the Debian layout: {@code param} (a JMH {@code -p layout=DIR}) if given, else
   * {@code $STRATA_BENCH_IMAGES/debian}, else {@code /tmp/strata-bench-images/debian}. The
   * environment, unlike a -D property, reaches JMH's forked JVMs without extra flags.
   */
  static Path debianLayout(String param) {
    if (param != null && !param.isEmpty()) {
      return Path.of(param);
    }
    String images = System.getenv("STRATA_BENCH_IMAGES");
    return Path.of(images == null || images.isEmpty() ? "/tmp/strata-bench-images" : images, "debian");
  }

  /** Returns the first layer of the image tagged {@code ref} in the layout {@code layout}. */
  static LayerBlob firstLayer(Path layout, String ref) throws IOException {
    if (!Files.isRegularFile(layout.resolve("index.json"))) {
      throw new NoSuchFileException(layout + " is not an OCI layout; build it with"
          + " scripts/make-images.sh --debootstrap " + layout.getParent()
          + " (or pass -p layout=DIR, or set STRATA_BENCH_IMAGES)");
    }
    ImageIndex index = ImageJson.parseIndex(Files.readAllBytes(layout.resolve("index.json")));
    Descriptor manifestDescriptor = index.manifests().stream()
        .filter(d -> ref.equals(d.refName()))
        .findFirst()
        .orElseThrow(() -> new NoSuchFileException(layout + " has no image tagged " + ref));
    Manifest manifest = ImageJson.parseManifest(Files.readAllBytes(blob(layout, manifestDescriptor)));
    ImageConfig config = ImageJson.parseConfig(Files.readAllBytes(blob(layout, manifest.config())));
    Descriptor layer = manifest.layers().get(0);
    return new LayerBlob(blob(layout, layer), MediaType.layerCompression(layer.mediaType()),
        config.diffIds().get(0), layer.size());
  }

  private static Path blob(Path layout, Descriptor d) {
    return layout.resolve("blobs").resolve(d.digest().algorithm()).resolve(d.digest().hex());
  }
}
