package dev.strata.cli;

import dev.strata.image.Platform;
import dev.strata.inspect.InspectedImage;
import dev.strata.inspect.StreamedLayerIndexes;
import dev.strata.layer.IngestLimits;
import dev.strata.layout.Store;
import dev.strata.registry.RegistryOptions;
import dev.strata.transfer.ImageSource;
import dev.strata.transfer.TransferProgress;
import dev.strata.transfer.Transports;
import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An image named on the command line for inspection, opened: a name or manifest digest in the
 * store, or any transport a pull reads ({@code oci:DIR[:REF]}, {@code oci-archive:FILE[:REF]},
 * {@code docker-archive:FILE}, {@code docker://HOST/REPO:TAG} with the registry flags of pull), whose layers are then streamed and stored nowhere. A trailing
 * {@code @N} selects the tree through layer N (1 = bottom).
 */
final class InspectTarget implements AutoCloseable {
  private static final Pattern LAYER = Pattern.compile("(.+)@([0-9]+)");
  private static final String[] TRANSPORTS = {"oci:", "oci-archive:", "docker-archive:", "docker:"};

  private final InspectedImage image;
  private final Integer layer;
  private final ImageSource source;
  private final Store.Lock lock;

  private InspectTarget(InspectedImage image, Integer layer, ImageSource source, Store.Lock lock) {
    this.image = image;
    this.layer = layer;
    this.source = source;
    this.lock = lock;
  }

  /** Opens {@code text}; {@code @N} is accepted only if {@code layers} says so. */
  static InspectTarget open(Store store, String text, Platform platform, RegistryOptions registry, boolean layers)
      throws IOException {
    String name = text;
    Integer layer = null;
    Matcher m = LAYER.matcher(text);
    if (layers && m.matches()) {
      name = m.group(1);
      layer = Integer.valueOf(m.group(2));
    }
    Store.Lock lock = store.shared();
    ImageSource source = null;
    try {
      InspectedImage image;
      if (isTransport(name)) {
        source = Transports.open(Transports.parse(name), store, registry, TransferProgress.NONE);
        image = InspectedImage.fromSource(source, platform, name, StreamedLayerIndexes.of(source, IngestLimits.DEFAULT));
      } else {
        image = InspectedImage.fromStore(store, name);
      }
      if (layer != null && (layer < 1 || layer > image.layerCount())) {
        throw new IllegalArgumentException("'" + text + "': " + name + " has layers 1 to " + image.layerCount());
      }
      return new InspectTarget(image, layer, source, lock);
    } catch (IOException | RuntimeException e) {
      if (source != null) {
        source.close();
      }
      lock.close();
      throw e;
    }
  }

  private static boolean isTransport(String name) {
    for (String t : TRANSPORTS) {
      if (name.startsWith(t)) {
        return true;
      }
    }
    return false;
  }

  InspectedImage image() {
    return image;
  }

  /** Returns how many layers, from the bottom, the name selects: {@code @N}, else all. */
  int layers() {
    return layer != null ? layer : image.layerCount();
  }

  @Override
  public void close() throws IOException {
    try {
      if (source != null) {
        source.close();
      }
    } finally {
      lock.close();
    }
  }
}
