package dev.strata.union;

import dev.strata.collect.LongMap;
import java.util.HashMap;
import java.util.Map;

/**
 * Node ids and inode numbers (the kernel's xino). A file keeps its inode number for the life of
 * the mount: copy-up registers the upper file under the number its origin had, and every name
 * of a hard-linked lower file gets the number of the first one seen.
 *
 * <p>A lower file's number is made from its layer and its identity there, as the kernel's xino
 * puts the layer in the high bits: nothing is remembered per lower file, so a walk of a million
 * files leaves no table behind. Upper files and identities too large for that (a host
 * directory's, which hold a device number) are numbered from 1 and remembered.
 */
final class InodeTable {
  /** Identity of a file in a lower layer. */
  record LowerKey(int layer, long identity) {}

  /**
   * Identity of a file in the upper directory. Its equals and hashCode are written out: a
   * record's own are bootstrapped through method handles when first called, which a fresh mount
   * server paid for in the middle of its first copy-up.
   */
  record UpperKey(long hostIno) {
    @Override
    public boolean equals(Object o) {
      return o instanceof UpperKey k && k.hostIno == hostIno;
    }

    @Override
    public int hashCode() {
      return Long.hashCode(hostIno);
    }
  }

  static final long ROOT_ID = 1;

  private final LongMap<Node> nodes = new LongMap<>();
  private final Map<Object, Long> inos = new HashMap<>();
  private long nextId = ROOT_ID;
  private long nextIno = 1;

  /** Identities below this, in layers below {@link #MAX_COMPUTED_LAYERS}, get computed numbers. */
  private static final long COMPUTED_IDENTITIES = 1L << 40;
  private static final int MAX_COMPUTED_LAYERS = 1 << 22;

  /** Returns the inode number of the file known by {@code key}, assigning one if new. */
  long ino(Object key) {
    if (key instanceof LowerKey k && k.identity() > 0 && k.identity() < COMPUTED_IDENTITIES
        && k.layer() < MAX_COMPUTED_LAYERS) {
      // Above every number the counter gives (it would take 2^40 files).
      return ((k.layer() + 1L) << 40) | k.identity();
    }
    synchronized (this) {
      return inos.computeIfAbsent(key, k -> nextIno++);
    }
  }

  /** Makes {@code key} name the same inode number as an existing file (after copy-up). */
  synchronized void alias(Object key, long ino) {
    inos.put(key, ino);
  }

  /** Drops a key whose file is gone (its host inode number may be reused). */
  synchronized void forget(Object key) {
    inos.remove(key);
  }

  /** Returns a fresh node id. */
  synchronized long nextId() {
    return nextId++;
  }

  synchronized void register(Node node) {
    nodes.put(node.id, node);
  }

  synchronized Node get(long id) {
    return nodes.get(id);
  }

  synchronized void remove(Node node) {
    nodes.remove(node.id);
  }

  /** Returns the nodes known now. */
  synchronized java.util.List<Node> all() {
    return nodes.values();
  }
}
