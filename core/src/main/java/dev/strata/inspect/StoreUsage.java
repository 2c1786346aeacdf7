package dev.strata.inspect;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedMap;
import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.layer.EntryKind;
import dev.strata.layer.LayerEntry;
import dev.strata.layer.LayerIndex;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Where a store's bytes go: what its tagged images would take apart, what is on disk, how much
 * images share and how much storing each file's bytes once saves.
 *
 * @param images one line per tag
 * @param logicalBytes the blobs (manifest, config, layers) of every image, summed per image
 * @param blobBytes the same blobs, each counted once
 * @param sharedBytes the blobs that more than one image uses, each counted once
 * @param layerFileBytes the regular-file bytes of every indexed layer the images use, each layer once
 * @param objectBytes the distinct file contents those layers hold, each once
 * @param stored the bytes on disk (apparent sizes) in blobs/, objects/, layers/, containers/, volumes/,
 *     tmp/ and the rest (other)
 */
public record StoreUsage(ImmutableList<ImageUsage> images, long logicalBytes, long blobBytes, long sharedBytes,
    long layerFileBytes, long objectBytes, ImmutableSortedMap<String, Long> stored) {

  /**
   * One image of the store.
   *
   * @param blobBytes its manifest, config and layer blobs
   * @param uniqueBytes the part of those that no other tag uses
   * @param error why the image could not be read, else null
   */
  public record ImageUsage(String name, Digest digest, int layers, long blobBytes, long uniqueBytes, String error) {}

  /** Returns the bytes that file-level dedup saves: layer file bytes not stored twice. */
  public long dedupSavedBytes() {
    return layerFileBytes - objectBytes;
  }

  /** Returns the bytes on disk in all. */
  public long storedBytes() {
    return stored.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Measures {@code store}; call under its shared lock. */
  public static StoreUsage of(Store store) throws IOException {
    Map<String, Map<Digest, Long>> blobsByImage = new LinkedHashMap<>();
    Map<String, ImageUsage> broken = new HashMap<>();
    Map<Digest, Integer> users = new HashMap<>();
    Map<Digest, Long> sizes = new HashMap<>();
    Map<Digest, Digest> layerDiffIds = new HashMap<>();
    for (var tag : store.tags().entrySet()) {
      Map<Digest, Long> blobs = new LinkedHashMap<>();
      try {
        StoredImage image = StoredImage.load(store, tag.getKey());
        blobs.put(image.descriptor().digest(), image.descriptor().size());
        blobs.put(image.manifest().config().digest(), image.manifest().config().size());
        List<Descriptor> layers = image.manifest().layers();
        for (int i = 0; i < layers.size(); i++) {
          blobs.put(layers.get(i).digest(), layers.get(i).size());
          layerDiffIds.put(layers.get(i).digest(), image.config().diffIds().get(i));
        }
      } catch (IOException e) {
        broken.put(tag.getKey(), new ImageUsage(tag.getKey(), tag.getValue().digest(), 0, 0, 0, e.getMessage()));
      }
      blobsByImage.put(tag.getKey(), blobs);
      for (var b : blobs.entrySet()) {
        users.merge(b.getKey(), 1, Integer::sum);
        sizes.put(b.getKey(), b.getValue());
      }
    }
    ImmutableList.Builder<ImageUsage> images = ImmutableList.builder();
    long logical = 0;
    for (var e : blobsByImage.entrySet()) {
      if (broken.containsKey(e.getKey())) {
        images.add(broken.get(e.getKey()));
        continue;
      }
      long total = 0;
      long unique = 0;
      for (var b : e.getValue().entrySet()) {
        total += b.getValue();
        unique += users.get(b.getKey()) == 1 ? b.getValue() : 0;
      }
      logical += total;
      int layers = (int) e.getValue().keySet().stream().filter(layerDiffIds::containsKey).count();
      images.add(new ImageUsage(e.getKey(), store.tags().get(e.getKey()).digest(), layers, total, unique, null));
    }
    long blobBytes = sizes.values().stream().mapToLong(Long::longValue).sum();
    long shared = users.entrySet().stream().filter(u -> u.getValue() > 1).mapToLong(u -> sizes.get(u.getKey())).sum();
    long layerFileBytes = 0;
    Map<Digest, Long> objects = new HashMap<>();
    for (Digest diffId : new java.util.TreeSet<>(layerDiffIds.values())) {
      if (!store.layers().contains(diffId)) {
        continue;
      }
      LayerIndex index = store.layers().read(diffId);
      for (LayerEntry entry : index.entries()) {
        if (entry.kind() == EntryKind.FILE) {
          layerFileBytes += entry.size();
          objects.put(entry.object(), entry.size());
        }
      }
    }
    long objectBytes = objects.values().stream().mapToLong(Long::longValue).sum();
    return new StoreUsage(images.build(), logical, blobBytes, shared, layerFileBytes, objectBytes, onDisk(store.root()));
  }

  /** The store's own directories by name; everything else (index.json, locks, ...) is "other". */
  private static final java.util.Set<String> PARTS = java.util.Set.of("blobs", "objects", "layers", "containers", "volumes",
      "tmp");

  private static ImmutableSortedMap<String, Long> onDisk(Path root) throws IOException {
    Map<String, Long> out = new TreeMap<>();
    for (String part : PARTS) {
      out.put(part, 0L);
    }
    out.put("other", 0L);
    try (Stream<Path> top = Files.list(root)) {
      for (Path p : (Iterable<Path>) top::iterator) {
        String name = p.getFileName().toString();
        out.merge(PARTS.contains(name) ? name : "other", apparentSize(p), Long::sum);
      }
    }
    return ImmutableSortedMap.copyOf(out);
  }

  private static long apparentSize(Path p) throws IOException {
    if (!Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? Files.size(p) : 0;
    }
    long[] total = {0};
    try (Stream<Path> all = Files.walk(p)) {
      all.forEach(f -> {
        if (Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          try {
            total[0] += Files.size(f);
          } catch (IOException e) {
            // removed while walking (a concurrent gc or pull's staging): not there any more
          }
        }
      });
    } catch (java.io.UncheckedIOException e) {
      // a directory removed while walking, likewise
    }
    return total[0];
  }
}
