package dev.strata.layer;

import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import dev.strata.digest.Digest;
import java.util.HashMap;
import java.util.Map;

/**
 * The metadata of one layer: every entry of its tar, in tar order, with where each regular
 * file's bytes are. Immutable, like the layer it describes. {@link IndexCodec} stores it.
 */
public final class LayerIndex {
  private final Digest diffId;
  private final long tarSize;
  private final ImmutableList<LayerEntry> entries;
  private volatile Map<String, LayerEntry> byPath;

  public LayerIndex(Digest diffId, long tarSize, ImmutableList<LayerEntry> entries) {
    this.diffId = checkNotNull(diffId);
    this.tarSize = tarSize;
    this.entries = checkNotNull(entries);
  }

  /** Returns the digest of the uncompressed layer tar. */
  public Digest diffId() {
    return diffId;
  }

  /** Returns the size of the uncompressed layer tar. */
  public long tarSize() {
    return tarSize;
  }

  /** Returns the entries in tar order. */
  public ImmutableList<LayerEntry> entries() {
    return entries;
  }

  /** Returns the entry at {@code path} (normalized), or null. */
  public LayerEntry get(String path) {
    Map<String, LayerEntry> map = byPath;
    if (map == null) {
      map = new HashMap<>(entries.size() * 2);
      for (LayerEntry e : entries) {
        map.put(e.path(), e);
      }
      byPath = map;
    }
    return map.get(path);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LayerIndex other && diffId.equals(other.diffId) && tarSize == other.tarSize
        && entries.equals(other.entries);
  }

  @Override
  public int hashCode() {
    return diffId.hashCode();
  }

  @Override
  public String toString() {
    return "LayerIndex{" + diffId + ", " + entries.size() + " entries}";
  }
}
