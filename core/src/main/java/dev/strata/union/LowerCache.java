package dev.strata.union;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import java.io.IOException;
import java.util.List;

/**
 * Remembers what the lower layers hold under a name of a merged lower directory. Lower layers
 * never change while a union is open, so the answer for (directory chain, name) holds for the
 * life of the mount, whatever the upper does: the upper part of a lookup is asked every time,
 * the walk down N layers once. This is what keeps a lookup through 100 layers as cheap as
 * through one once the kernel has dropped its dentry and asks again.
 *
 * <p>A chain is keyed by identity: a directory's chain is the list this cache handed out when
 * the directory was resolved, so a child's key costs no walk over the layers. A chain built
 * elsewhere (a redirect, a copy-up) simply misses. The cache is bounded, as the kernel's dcache
 * is by memory pressure: a big image's lower tree is not held whole.
 */
final class LowerCache {
  /**
   * About 300 bytes each with what they hold: 5 MiB for a tree of any size (65,536 names took
   * 19 MB of a server's heap after a walk of a million files). A store layer answers a miss with
   * a binary search in its mapped index, so a cache of a container's working set is as good as
   * one of a whole image, and a walk of a million names leaves no more behind.
   */
  static final long MAX_NAMES = 1 << 14;

  /** What the layers below hold under a name: nothing, one non-directory, or directories to merge. */
  record Below(LowerRef file, List<LowerRef> dirs) {
    static final Below NOTHING = new Below(null, List.of());
  }

  /** A name in a chain; the chain compared by identity, the one list a directory got. */
  private record Key(List<LowerRef> chain, String name) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.chain == chain && k.name.equals(name);
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(chain) * 31 + name.hashCode();
    }
  }

  /** Walks the layers of a chain for a name; what {@link Lookup} does when the cache misses. */
  interface Walk {
    Below below(List<LowerRef> chain, String name) throws IOException;
  }

  private final Cache<Key, Below> names;

  LowerCache(long maxNames) {
    // One segment per core is plenty: FUSE threads are few, and a hit takes no lock.
    this.names = CacheBuilder.newBuilder().maximumSize(maxNames)
        .concurrencyLevel(Math.max(1, Runtime.getRuntime().availableProcessors())).build();
  }

  /** What {@code chain} holds under {@code name}, walking its layers only the first time. */
  Below below(List<LowerRef> chain, String name, Walk walk) throws IOException {
    if (chain.isEmpty()) {
      return Below.NOTHING;
    }
    Key key = new Key(chain, name);
    Below cached = names.getIfPresent(key);
    if (cached != null) {
      return cached;
    }
    // Two threads may walk the same name at once; both get equal answers, one is kept. Not
    // holding a lock over the walk keeps a slow layer from stalling lookups elsewhere.
    Below below = walk.below(chain, name);
    names.put(key, below);
    return below;
  }
}
