package dev.strata.layer;

import dev.strata.host.Names;
import java.io.IOException;

/**
 * The tree a union shows of one layer, read in place from its index: the OCI changeset rules
 * applied once, when the layer was indexed. A {@code .wh.NAME} is a deleted node at NAME, an
 * opaque marker or a whiteout of a directory the layer fills is an opaque directory, a directory
 * that holds entries without an entry of its own is implied (its attributes come from below),
 * every name of a hard-linked inode shows that inode's first name, and what lies under a
 * non-directory of the layer (whiteouts umoci writes) is not in the tree.
 *
 * <p>Nodes are numbered breadth-first from the root, 0, and a directory's children are
 * consecutive and sorted by name: a lookup is a binary search among them, a listing a range.
 */
public final class LayerTree {
  /** No such node. */
  public static final int NONE = -1;
  private static final EntryKind[] KINDS = EntryKind.values();

  private final LayerIndex index;
  private final MappedFile file;
  private final long nodes;
  private final long names;
  private final long count;

  /**
   * One node: its name, what it is, and the attributes it shows.
   *
   * @param kind what the node is: {@link EntryKind#WHITEOUT} for a deleted name, never
   *     {@link EntryKind#OPAQUE}; a hard link is {@link EntryKind#HARDLINK}, a regular file
   * @param entry the position in tar order of the node's own entry, -1 for an implied directory
   * @param identity the same for every name of one inode, different for different inodes
   * @param nlink how many names the inode has in this layer
   * @param size a regular file's length, a symlink's target's length in bytes, else 0
   */
  public record Node(int id, String name, EntryKind kind, boolean opaque, boolean implied, int entry, int mode,
      long uid, long gid, long size, long mtimeSeconds, int mtimeNanos, int devMajor, int devMinor, long identity,
      int nlink) {
    /** Returns whether this node is a directory (implied or not). */
    public boolean isDirectory() {
      return kind == EntryKind.DIRECTORY;
    }
  }

  LayerTree(LayerIndex index, MappedFile file, long nodes, long names, long count) {
    this.index = index;
    this.file = file;
    this.nodes = nodes;
    this.names = names;
    this.count = count;
  }

  /** Returns the root's node number. */
  public int root() {
    return 0;
  }

  /** Returns the node at {@code path} (normalized, "" for the root), or {@link #NONE}. */
  public int find(String path) throws IOException {
    int node = root();
    if (path.isEmpty()) {
      return node;
    }
    int start = 0;
    while (node != NONE) {
      int slash = path.indexOf('/', start);
      int end = slash < 0 ? path.length() : slash;
      // An empty name (a leading, doubled or trailing slash) names nothing.
      node = end == start ? NONE : child(node, path.substring(start, end));
      if (slash < 0) {
        return node;
      }
      start = end + 1;
    }
    return NONE;
  }

  /** Returns the child of directory {@code dir} named {@code name}, or {@link #NONE}. */
  public int child(int dir, String name) throws IOException {
    byte[] key = Names.encode(name);
    long slot = slot(dir);
    int count = file.getInt(slot + 12);
    if (count == 0) {
      return NONE;
    }
    long lo = first(dir, slot);
    long hi = lo + count - 1;
    while (lo <= hi) {
      long mid = (lo + hi) >>> 1;
      long ref = file.getLong(slot(mid));
      int c = file.compare(names + (ref >>> 16), (int) (ref & 0xffff), key);
      if (c == 0) {
        return (int) mid;
      }
      if (c < 0) {
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return NONE;
  }

  /** Returns how many children directory {@code dir} has (0 for anything else). */
  public int childCount(int dir) throws IOException {
    return file.getInt(slot(dir) + 12);
  }

  /** Returns the node number of the {@code i}-th child of {@code dir}, in the order of names. */
  public int child(int dir, int i) throws IOException {
    long slot = slot(dir);
    if (i < 0 || i >= file.getInt(slot + 12)) {
      throw new IndexOutOfBoundsException(i);
    }
    return (int) (first(dir, slot) + i);
  }

  /** Returns node {@code n}. */
  public Node node(int n) throws IOException {
    long slot = slot(n);
    long ref = file.getLong(slot);
    String name = n == 0 ? "" : Names.decode(file.bytes(names + (ref >>> 16), (int) (ref & 0xffff)));
    int own = file.getInt(slot + 16);
    int kindByte = file.get(slot + 20);
    int flags = file.get(slot + 21);
    boolean opaque = (flags & IndexFormat.OPAQUE) != 0;
    if (kindByte < 0 || kindByte >= KINDS.length || KINDS[kindByte] == EntryKind.OPAQUE) {
      throw new IOException("layer index is damaged: node " + n + " has kind " + kindByte);
    }
    EntryKind kind = KINDS[kindByte];
    if (own < 0) {
      return new Node(n, name, EntryKind.DIRECTORY, opaque, true, -1, 0755, 0, 0, 0, 0, 0, 0, 0,
          index.entryCount() + 1L + n, 1);
    }
    LayerIndex.Attrs a = index.attrs(own);
    LayerIndex.Attrs shown = a;
    long identity = own + 1L;
    int nlink = 1;
    if (a.group() != 0 && kind != EntryKind.WHITEOUT) {
      long[] group = index.group(a.group());
      int first = (int) group[0];
      shown = first == own ? a : index.attrs(first);
      identity = first + 1L;
      nlink = (int) group[1];
    }
    long size = switch (kind) {
      case FILE, HARDLINK -> shown.size();
      case SYMLINK -> Names.length(a.link());
      default -> 0;
    };
    boolean device = kind == EntryKind.CHAR_DEVICE || kind == EntryKind.BLOCK_DEVICE;
    return new Node(n, name, kind, opaque, false, own, shown.mode() & 07777, shown.uid(), shown.gid(), size,
        shown.mtimeSeconds(), shown.mtimeNanos(), device ? a.devMajor() : 0, device ? a.devMinor() : 0, identity, nlink);
  }

  /**
   * Returns the entry whose content and xattrs node {@code n} shows: its own, or for a hard-linked
   * inode its first name's (a symlink shows its own target); null for an implied directory.
   */
  public LayerEntry shown(int n) throws IOException {
    int own = file.getInt(slot(n) + 16);
    if (own < 0) {
      return null;
    }
    LayerEntry e = index.entry(own);
    if (e.linkGroup() != 0 && e.kind() != EntryKind.SYMLINK && e.kind() != EntryKind.WHITEOUT) {
      int first = (int) index.group(e.linkGroup())[0];
      return first == own ? e : index.entry(first);
    }
    return e;
  }

  private long first(int dir, long slot) throws IOException {
    long first = file.getInt(slot + 8) & 0xffffffffL;
    if (first <= dir || first + (file.getInt(slot + 12) & 0xffffffffL) > count) {
      throw new IOException("layer index is damaged: node " + dir + " has children outside the tree");
    }
    return first;
  }

  private long slot(long n) throws IOException {
    if (n < 0 || n >= count) {
      throw new IOException("layer index is damaged: no node " + n);
    }
    return nodes + n * IndexFormat.NODE;
  }
}
