package dev.strata.union;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One file of the union, as the engine knows it between lookup and forget: the overlay inode.
 *
 * <p>Three states, as overlayfs has them: upper only (created in the union), merged (a
 * directory in the upper and in lower layers, or a copied-up file whose origin is below), and
 * lower only. The mutable fields change under the union's namespace lock; {@link #copyUp}
 * serializes the copy-up of this node so that two racing opens copy once.
 */
final class Node {
  final long id;
  final long ino;
  FileType type;
  Node parent;
  String name;
  /** Whether the upper directory holds this node at {@link #path()}. */
  boolean upper;
  /** The upper file holds metadata only; the data is still the origin's (lowers.get(0)). */
  boolean metacopy;
  /**
   * For a name of a hard-linked lower file: the file's entry in the index (the kernel's
   * index=on), once any of its names was copied up or removed; every name then shows it.
   */
  dev.strata.host.HostPath index;
  /** Lower layers holding this node, top first: every merged directory, or a file's origin. */
  List<LowerRef> lowers;
  /**
   * The name was removed (unlink, rmdir, a rename over it) while the node may still be used
   * through an open descriptor: it no longer has a path in the union.
   */
  boolean removed;
  /** A removed node's upper file, held open (see {@link dev.strata.host.HostDir#pin}). */
  dev.strata.host.HostDir pin;
  /** How many times FUSE has been told of this node and not yet forgotten it. */
  long lookups;
  /** One of {@link #lookups} is held by a path-based binding (see {@link UnionFs#resolve}). */
  boolean pathHeld;
  /** Made at the first copy-up: most nodes are never copied up (see {@link #copyUpLock}). */
  private ReentrantLock copyUp;
  /**
   * Children looked up and not forgotten: the dentry cache, valid because only the engine
   * changes the upper and lowers never change. Made at the first child, as a walk of a big tree
   * leaves a node behind for every file and most are not directories. Guarded by this node's
   * monitor, or by the union's exclusive namespace lock.
   */
  private Map<String, Node> children;

  Node(long id, long ino, FileType type, Node parent, String name, boolean upper, List<LowerRef> lowers) {
    this.id = id;
    this.ino = ino;
    this.type = type;
    this.parent = parent;
    this.name = name;
    this.upper = upper;
    this.lowers = lowers;
  }

  /** The lock that serializes copy-ups of this node, made when first needed. */
  synchronized ReentrantLock copyUpLock() {
    if (copyUp == null) {
      copyUp = new ReentrantLock();
    }
    return copyUp;
  }

  /** The child cached under {@code name}, or null. */
  Node child(String name) {
    return children == null ? null : children.get(name);
  }

  /** Caches {@code child} under {@code name}. */
  void putChild(String name, Node child) {
    if (children == null) {
      children = new HashMap<>(4);
    }
    children.put(name, child);
  }

  /** Drops whatever is cached under {@code name}. */
  void removeChild(String name) {
    if (children != null) {
      children.remove(name);
      if (children.isEmpty()) {
        children = null;
      }
    }
  }

  /** Drops {@code child} from under {@code name}, if it is what is cached there. */
  void removeChild(String name, Node child) {
    if (children != null) {
      children.remove(name, child);
      if (children.isEmpty()) {
        children = null;
      }
    }
  }

  /** Whether any child is cached. */
  boolean hasChildren() {
    return children != null;
  }

  /** Returns the node's path in the union ("" for the root). */
  String path() {
    if (parent == null) {
      return "";
    }
    String p = parent.path();
    return p.isEmpty() ? name : p + "/" + name;
  }

  /** Returns the path of a child named {@code child}. */
  String childPath(String child) {
    String p = path();
    return p.isEmpty() ? child : p + "/" + child;
  }

  boolean isDirectory() {
    return type == FileType.DIRECTORY;
  }

  /** Returns whether layers below show through (a directory that is not only upper). */
  boolean hasLowers() {
    return !lowers.isEmpty();
  }

  @Override
  public String toString() {
    return "Node{" + id + " /" + path() + (upper ? " upper" : "") + (lowers.isEmpty() ? "" : " lowers=" + lowers.size()) + "}";
  }
}
