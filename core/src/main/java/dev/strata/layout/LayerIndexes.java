package dev.strata.layout;

import com.google.common.collect.ImmutableSortedSet;
import dev.strata.blob.Durability;
import dev.strata.digest.Digest;
import dev.strata.layer.IndexCodec;
import dev.strata.layer.LayerIndex;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The metadata indexes of ingested layers, at {@code layers/<algorithm>/<hex>/index} by DiffID. */
public final class LayerIndexes {
  private static final String FILE = "index";
  private final Path root;
  private final Path tmp;

  LayerIndexes(Path root, Path tmp) {
    this.root = root;
    this.tmp = tmp;
  }

  /** Returns the directory of the layer {@code diffId}. */
  public Path dir(Digest diffId) {
    return root.resolve(diffId.algorithm()).resolve(diffId.hex());
  }

  /** Returns whether the layer {@code diffId} has an index. */
  public boolean contains(Digest diffId) {
    return Files.isRegularFile(dir(diffId).resolve(FILE));
  }

  /**
   * Opens the index of {@code diffId} in place. An index of version 1, which a store written
   * before holds, is upgraded first: the new file replaces it atomically, and a reader that has
   * the old one open keeps it.
   */
  public LayerIndex read(Digest diffId) throws IOException {
    Path file = dir(diffId).resolve(FILE);
    LayerIndex index = LayerIndex.version(file) == 1 ? upgrade(file) : LayerIndex.open(file);
    if (!index.diffId().equals(diffId)) {
      throw new IOException("layer index at " + dir(diffId) + " describes " + index.diffId());
    }
    return index;
  }

  /**
   * Rewrites a version-1 index as version 2 and opens it. Another process may have upgraded it
   * between the look and the read: the bytes read decide. A store this process may not write
   * (another user's) gets the new index in a private file, unlinked once open.
   */
  private LayerIndex upgrade(Path file) throws IOException {
    byte[] data = Files.readAllBytes(file);
    Path upgraded;
    try {
      if (data.length > 8 && data[8] != 1) {
        return LayerIndex.open(file);
      }
      Files.createDirectories(tmp);
      upgraded = IndexCodec.upgrade(data, tmp);
    } catch (java.nio.file.AccessDeniedException e) {
      Path own = IndexCodec.upgrade(data, Path.of(System.getProperty("java.io.tmpdir")));
      try {
        return LayerIndex.open(own);
      } finally {
        Files.deleteIfExists(own);
      }
    }
    try {
      Durability.fsync(upgraded);
      Durability.renameDurably(upgraded, file);
    } finally {
      Files.deleteIfExists(upgraded);
    }
    return LayerIndex.open(file);
  }

  /**
   * Moves the index file {@code built} (written in the store's tmp/, as a pull writes it) into
   * place for {@code diffId}; an existing index of the same layer is equivalent and kept.
   */
  public void adopt(Path built, Digest diffId) throws IOException {
    Path target = dir(diffId).resolve(FILE);
    try {
      if (!Files.exists(target)) {
        Durability.fsync(built);
        Files.createDirectories(target.getParent());
        Durability.renameDurably(built, target);
      }
    } finally {
      Files.deleteIfExists(built);
    }
  }

  /** Removes the index of {@code diffId}. */
  public void delete(Digest diffId) throws IOException {
    Path dir = dir(diffId);
    if (Files.isDirectory(dir)) {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Files.delete(f);
        }
      }
      Files.delete(dir);
    }
  }

  /** Lists the DiffIDs that have an index directory. */
  public ImmutableSortedSet<Digest> list() throws IOException {
    ImmutableSortedSet.Builder<Digest> out = ImmutableSortedSet.naturalOrder();
    if (!Files.isDirectory(root)) {
      return out.build();
    }
    try (Stream<Path> algorithms = Files.list(root)) {
      for (Path alg : (Iterable<Path>) algorithms::iterator) {
        try (Stream<Path> dirs = Files.list(alg)) {
          for (Path d : (Iterable<Path>) dirs::iterator) {
            try {
              out.add(new Digest(alg.getFileName().toString(), d.getFileName().toString()));
            } catch (IllegalArgumentException e) {
              // not ours; fsck reports nothing for it and gc leaves it alone
            }
          }
        }
      }
    }
    return out.build();
  }
}
