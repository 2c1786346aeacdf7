package dev.strata.fuse.kernel;

import dev.strata.collect.LongMap;
import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.union.Attr;
import dev.strata.union.UnionFs;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * The kernel's node ids and the engine's nodes.
 *
 * <p>The engine has a node per name (a node knows its parent and name, so that it can find its
 * layers), while the kernel must see one inode per file: two names of a hard-linked file that
 * were two kernel inodes would each keep their own link count and page cache, and a write
 * through one name would not be seen through the other. So the node id the kernel gets is the
 * file's inode number (stable for the mount, never reused, shared by all names of a file), and
 * this table keeps, per node id, the engine nodes of the names that reached it, each with the
 * lookups the engine counted for it. Any live name serves the file's operations.
 *
 * <p>Lookups are given back to the engine when the kernel forgets the node id altogether (it
 * forgets an inode all at once when it evicts it), not name by name: the kernel's count is per
 * inode and cannot say which name a partial forget was for.
 *
 * <p>A name removed by unlink, rmdir or a replacing rename is marked: its engine node no longer
 * stands for a path, so any other live name serves the file first. A node id with no live name
 * left is a file still open after its last name went: its removed engine node serves it (the
 * engine keeps such a node's file, as the kernel's overlay keeps its real inode), so fstat,
 * ftruncate, fchmod and f*xattr through the descriptor work as they do on the kernel's overlay.
 *
 * <p>The root is node id 1 whatever its inode number: the number that would collide with it
 * takes the root's number instead.
 */
final class NodeTable {
  private final UnionFs fs;
  private final long rootIno;
  /** Kept in maps of primitive keys: a walk of a million files leaves an entry per file here. */
  private final LongMap<KNode> byNodeid = new LongMap<>();
  private final LongMap<KNode> byEngine = new LongMap<>();

  /**
   * One kernel inode. Its first name is held in fields, further names (hard links the kernel
   * reached by two names) in a map made only for them: almost every inode has one name.
   */
  private static final class KNode {
    final long nodeid;
    long kernelLookups;
    /** The engine node of the first name that reached this inode, and the lookups held on it. */
    long first;
    long firstLookups;
    /** Engine nodes of further names, in the order they came, to the lookups held on each. */
    LinkedHashMap<Long, Long> more;
    Set<Long> removed;

    KNode(long nodeid) {
      this.nodeid = nodeid;
    }

    /** Counts one engine lookup of the name whose engine node is {@code engine}. */
    void count(long engine, long lookups) {
      if (first == 0 || first == engine) {
        first = engine;
        firstLookups += lookups;
      } else {
        if (more == null) {
          more = new LinkedHashMap<>(2);
        }
        more.merge(engine, lookups, Long::sum);
      }
    }

    /** Every name's engine node with its lookups, the first first. */
    List<long[]> names() {
      List<long[]> out = new ArrayList<>(more == null ? 1 : 1 + more.size());
      if (first != 0) {
        out.add(new long[] {first, firstLookups});
      }
      if (more != null) {
        more.forEach((e, n) -> out.add(new long[] {e, n}));
      }
      return out;
    }

    /** A live name's engine node, else a removed one's (the file is open, not named); 0 if none. */
    long live() {
      if (first != 0 && (removed == null || !removed.contains(first))) {
        return first;
      }
      if (more != null) {
        for (long e : more.keySet()) {
          if (removed == null || !removed.contains(e)) {
            return e;
          }
        }
      }
      return first;
    }
  }

  NodeTable(UnionFs fs) throws IOException {
    this.fs = fs;
    Attr root = fs.getattr(UnionFs.ROOT);
    this.rootIno = root.ino();
    KNode r = new KNode(Protocol.ROOT_ID);
    r.count(UnionFs.ROOT, 0); // the engine counts the root's one lookup itself
    r.kernelLookups = Long.MAX_VALUE / 2; // the kernel never forgets the root
    byNodeid.put(r.nodeid, r);
    byEngine.put(UnionFs.ROOT, r);
  }

  /** The kernel node id of a file with inode number {@code ino}. */
  long nodeid(long ino) {
    if (ino == rootIno) {
      return Protocol.ROOT_ID;
    }
    return ino == Protocol.ROOT_ID ? rootIno : ino;
  }

  /**
   * Records a name the kernel is about to be told of: {@code engine} is the node the engine
   * just counted one lookup of, {@code attr} its attributes. Returns the node id to reply with.
   */
  synchronized long add(long engine, Attr attr) {
    long id = nodeid(attr.ino());
    KNode k = byNodeid.get(id);
    if (k == null) {
      k = new KNode(id);
      byNodeid.put(id, k);
    }
    k.kernelLookups++;
    k.count(engine, 1);
    byEngine.put(engine, k);
    return id;
  }

  /** The engine node to act on for node id {@code nodeid}: a live name of it. */
  synchronized long engine(long nodeid) throws ErrnoException {
    long e = known(nodeid).live();
    if (e == 0) {
      throw new ErrnoException(Errno.ENOENT, "node " + nodeid + " has no name left");
    }
    return e;
  }

  /** The attributes of node id {@code nodeid}, from the engine. */
  Attr getattr(long nodeid) throws IOException {
    return fs.getattr(engine(nodeid));
  }

  /** The name of engine node {@code engine} was removed; the node serves nothing any more. */
  synchronized void removed(long engine) {
    KNode k = byEngine.get(engine);
    if (k != null) {
      if (k.removed == null) {
        k.removed = new HashSet<>(2);
      }
      k.removed.add(engine);
    }
  }

  /** The kernel forgot {@code count} lookups of {@code nodeid}. */
  void forget(long nodeid, long count) {
    List<long[]> release;
    synchronized (this) {
      KNode k = byNodeid.get(nodeid);
      if (k == null || nodeid == Protocol.ROOT_ID) {
        return;
      }
      k.kernelLookups -= count;
      if (k.kernelLookups > 0) {
        return;
      }
      byNodeid.remove(nodeid);
      release = k.names();
      for (long[] n : release) {
        byEngine.remove(n[0], k);
      }
    }
    // Outside the monitor: the engine's forget takes its namespace lock.
    for (long[] r : release) {
      fs.forget(r[0], r[1]);
    }
  }

  /** How many node ids the kernel holds (the root included), for tests. */
  synchronized int size() {
    return byNodeid.size();
  }

  private KNode known(long nodeid) throws ErrnoException {
    KNode k = byNodeid.get(nodeid);
    if (k == null) {
      throw new ErrnoException(Errno.ENOENT, "node " + nodeid + " is not known (forgotten?)");
    }
    return k;
  }
}
