package dev.strata.bench;

import com.google.common.collect.ImmutableList;
import dev.strata.host.Privileges;
import dev.strata.layer.LayerIndex;
import dev.strata.layout.Store;
import dev.strata.union.LowerLayer;
import dev.strata.union.StoreLayer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The lower layers of a union benchmark, built once per trial in a fresh directory under
 * java.io.tmpdir and deleted on close: {@code store} layers (ingested tars, read through
 * {@link StoreLayer} as mounts read them) or {@code host} directories in kernel overlay format.
 */
final class BenchLowers implements AutoCloseable {
  /** The benchmarks' {@code lower} parameter values. */
  static final String STORE = "store";
  static final String HOST = "host";

  private final Path dir;
  private final ImmutableList<LowerLayer> layers;
  private final ImmutableList<Path> hostFiles;

  private BenchLowers(Path dir, ImmutableList<LowerLayer> layers, ImmutableList<Path> hostFiles) {
    this.dir = dir;
    this.layers = layers;
    this.hostFiles = hostFiles;
  }

  /** Builds {@code specs} (top first) as layers of {@code kind}, read through {@code host}. */
  static BenchLowers build(String kind, List<LayerSpec> specs, Privileges host) throws IOException {
    Path dir = Files.createTempDirectory("strata-bench-lowers-");
    try {
      ImmutableList.Builder<LowerLayer> layers = ImmutableList.builder();
      ImmutableList.Builder<Path> roots = ImmutableList.builder();
      switch (kind) {
        case STORE -> {
          Store store = Store.open(dir.resolve("store")).withNotices(null);
          for (LayerIndex index : LayerSpec.ingestAll(store, specs, dir)) {
            layers.add(StoreLayer.open(index, store.objects()));
          }
        }
        case HOST -> {
          for (int i = 0; i < specs.size(); i++) {
            Path root = dir.resolve("layer-" + i);
            layers.add(specs.get(i).writeHostDir(root, host));
            roots.add(root);
          }
        }
        default -> throw new IllegalArgumentException("lower must be " + STORE + " or " + HOST + ", not " + kind);
      }
      return new BenchLowers(dir, layers.build(), roots.build());
    } catch (IOException | RuntimeException e) {
      delete(dir);
      throw e;
    }
  }

  /** Returns the layers, top first. */
  ImmutableList<LowerLayer> layers() {
    return layers;
  }

  /**
   * Returns the host file that holds {@code path} of layer {@code layer}: the file in a host
   * directory, or the store's loose object (large contents are whole files of the store).
   */
  Path hostFile(int layer, String path) throws IOException {
    if (!hostFiles.isEmpty()) {
      return hostFiles.get(layer).resolve(path);
    }
    try (var content = layers.get(layer).open(path)) {
      var extent = content.extent();
      if (extent == null || !extent.whole()) {
        throw new IOException(path + " is packed, not a host file");
      }
      return Path.of(extent.file().description());
    }
  }

  @Override
  public void close() throws IOException {
    for (LowerLayer l : layers) {
      l.close();
    }
    delete(dir);
  }

  /** Deletes {@code dir} and everything under it, if it exists. */
  static void delete(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      // Deepest first, so that each directory is empty when its turn comes.
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}
