package dev.strata.blob;

import dev.strata.digest.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The packs of a store, {@code objects/packs/<sha256 of the pack>.pack} with a {@code .idx}
 * beside each. A pack is visible once its index is: the index is written after the pack, so a
 * reader never finds an index whose pack is incomplete.
 */
final class PackCatalog {
  static final String PACK = ".pack";
  static final String INDEX = ".idx";

  private final Path dir;
  private final Map<String, PackIndex> loaded = new LinkedHashMap<>();

  /** Where an object lives in a pack. */
  record Location(Path pack, PackIndex.Slot slot) {}

  PackCatalog(Path dir) {
    this.dir = dir;
  }

  Path dir() {
    return dir;
  }

  /**
   * Loads the indexes of packs added since the last call (by this or another process) and
   * forgets the packs removed since (gc's, in another process): what a batch skips as stored
   * must be on disk now, not when this process first looked, before it held the store's lock.
   */
  synchronized void refresh() throws IOException {
    if (!Files.isDirectory(dir)) {
      loaded.clear();
      return;
    }
    java.util.Set<String> present = new java.util.HashSet<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String name = f.getFileName().toString();
        if (name.endsWith(INDEX)) {
          String pack = name.substring(0, name.length() - INDEX.length());
          present.add(pack);
          if (!loaded.containsKey(pack)) {
            try {
              loaded.put(pack, PackIndex.parse(Files.readAllBytes(f)));
            } catch (IOException e) {
              // A damaged index hides its pack; fsck reports it.
            }
          }
        }
      }
    }
    loaded.keySet().retainAll(present);
  }

  /** Returns where {@code digest} is packed, or null. */
  synchronized Location find(Digest digest) {
    if (!digest.algorithm().equals(Digest.SHA256)) {
      return null;
    }
    byte[] raw = digest.raw();
    for (Map.Entry<String, PackIndex> e : loaded.entrySet()) {
      PackIndex.Slot slot = e.getValue().find(raw);
      if (slot != null) {
        return new Location(dir.resolve(e.getKey() + PACK), slot);
      }
    }
    return null;
  }

  /** Returns the loaded packs by name (the hex of their digest). */
  synchronized Map<String, PackIndex> packs() {
    return Map.copyOf(loaded);
  }

  /** Forgets a pack that was removed. */
  synchronized void forget(String name) {
    loaded.remove(name);
  }
}
