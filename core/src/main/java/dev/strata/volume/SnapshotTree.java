package dev.strata.volume;

import dev.strata.blob.ObjectStore;
import dev.strata.digest.Digest;
import dev.strata.host.HostDir;
import dev.strata.host.HostFile;
import dev.strata.host.Names;
import dev.strata.host.Stat;
import dev.strata.layer.Bytes;
import dev.strata.layer.EntryKind;
import dev.strata.layer.LayerEntry;
import dev.strata.layer.LayerIndex;
import dev.strata.layer.LayerTarWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * The tree of a snapshot: the layers of its chain stacked as OCI stacks image layers (a
 * whiteout deletes a path and what is below it, an opaque marker what a directory held, a
 * directory merges with one below, anything else replaces what was at its path), read from
 * the store's layer indexes, and written as a tar whose files' bytes come from the store's
 * objects: never a blob decompressed.
 */
final class SnapshotTree {
  /** An entry of the stacked tree and the layer (bottom: 0) it came from. */
  private record Item(int layer, LayerEntry entry) {}

  /**
   * Paths in the order a walk of the volume writes them (each directory's names in byte order,
   * a directory before what it holds), so that a hard link's first name comes before it here
   * as it did in the layer.
   */
  private final TreeMap<String, Item> tree = new TreeMap<>(SnapshotTree::walkOrder);

  /** Stacks {@code layers}, bottom first. */
  SnapshotTree(List<LayerIndex> layers) throws IOException {
    for (int i = 0; i < layers.size(); i++) {
      for (LayerEntry e : layers.get(i).entries()) {
        apply(i, e);
      }
    }
  }

  private void apply(int layer, LayerEntry e) {
    switch (e.kind()) {
      case WHITEOUT -> {
        tree.remove(e.target());
        clearBelow(e.target());
      }
      case OPAQUE -> clearBelow(e.target());
      case DIRECTORY -> tree.put(e.path(), new Item(layer, e));
      default -> {
        clearBelow(e.path()); // a directory replaced by a file takes its content with it
        tree.put(e.path(), new Item(layer, e));
      }
    }
  }

  /** Removes what the tree holds below {@code dir}: in walk order, the paths right after it. */
  private void clearBelow(String dir) {
    String prefix = dir.isEmpty() ? "" : dir + "/";
    var below = tree.tailMap(dir, false).keySet().iterator();
    while (below.hasNext() && below.next().startsWith(prefix)) {
      below.remove();
    }
  }

  /** Compares paths a name at a time, in byte order; a path before the paths below it. */
  static int walkOrder(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ea = a.indexOf('/', i);
      int eb = b.indexOf('/', j);
      ea = ea < 0 ? a.length() : ea;
      eb = eb < 0 ? b.length() : eb;
      int c = Names.compare(a.substring(i, ea), b.substring(j, eb));
      if (c != 0) {
        return c;
      }
      i = ea + 1;
      j = eb + 1;
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  /**
   * Returns whether the tree holds {@code path} as the file {@code st} of {@code root} is now:
   * its type, mode, owner, mtime, xattrs, and its bytes (by digest) or link target or device.
   */
  boolean holds(String path, Stat st, HostDir root, ObjectStore objects) throws IOException {
    Item item = tree.get(path);
    if (item == null) {
      return false;
    }
    LayerEntry e = item.entry();
    if ((e.mode() & 07777) != (st.mode() & 07777) || e.uid() != st.uid() || e.gid() != st.gid()
        || e.mtimeSeconds() * 1_000_000_000L + e.mtimeNanos() != st.mtimeNanos()) {
      return false;
    }
    TreeMap<String, Bytes> xattrs = new TreeMap<>();
    for (String name : root.listxattr(path)) {
      byte[] value = root.getxattr(path, name);
      if (value != null) {
        xattrs.put(name, Bytes.copyOf(value));
      }
    }
    if (!xattrs.equals(e.xattrs())) {
      return false;
    }
    return switch (st.type()) {
      case Stat.S_IFDIR -> e.kind() == EntryKind.DIRECTORY;
      case Stat.S_IFLNK -> e.kind() == EntryKind.SYMLINK && e.linkTarget().equals(root.readlink(path));
      case Stat.S_IFIFO -> e.kind() == EntryKind.FIFO;
      case Stat.S_IFCHR, Stat.S_IFBLK -> e.kind() == (st.type() == Stat.S_IFCHR ? EntryKind.CHAR_DEVICE
          : EntryKind.BLOCK_DEVICE) && e.devMajor() == st.rdevMajor() && e.devMinor() == st.rdevMinor();
      case Stat.S_IFREG -> (e.kind() == EntryKind.FILE || e.kind() == EntryKind.HARDLINK) && e.size() == st.size()
          && (e.object() == null ? st.size() == 0 : e.object().equals(digest(root, path)));
      default -> false;
    };
  }

  private static Digest digest(HostDir root, String path) throws IOException {
    MessageDigest sha256 = Digest.newMessageDigest(Digest.SHA256);
    try (HostFile f = root.open(path, HostFile.O_RDONLY | HostFile.O_NONBLOCK, 0); InputStream in = f.stream()) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) >= 0; ) {
        sha256.update(buffer, 0, n);
      }
    }
    return Digest.fromRaw(Digest.SHA256, sha256.digest());
  }

  /** Every path of the tree. */
  java.util.Set<String> paths() {
    return tree.keySet();
  }

  /**
   * Writes the tree to {@code out} as a tar, leaving it open. A hard link whose first name is
   * still there, from the same layer, stays a link; one whose first name a later layer replaced
   * is written as a file of its own.
   */
  void write(ObjectStore objects, OutputStream out) throws IOException {
    LayerTarWriter tar = new LayerTarWriter(out);
    for (Map.Entry<String, Item> i : tree.entrySet()) {
      LayerEntry e = i.getValue().entry();
      String path = i.getKey();
      TreeMap<String, byte[]> xattrs = new TreeMap<>();
      for (Map.Entry<String, Bytes> x : e.xattrs().entrySet()) {
        xattrs.put(x.getKey(), x.getValue().toArray());
      }
      LayerTarWriter.Meta meta = new LayerTarWriter.Meta(e.mode() & 07777, e.uid(), e.gid(), e.mtimeSeconds(),
          e.mtimeNanos(), xattrs);
      switch (e.kind()) {
        case DIRECTORY -> tar.directory(path.isEmpty() ? "." : path, meta);
        case SYMLINK -> tar.symlink(path, meta, e.linkTarget());
        case CHAR_DEVICE -> tar.special(path, TarConstants.LF_CHR, meta, e.devMajor(), e.devMinor());
        case BLOCK_DEVICE -> tar.special(path, TarConstants.LF_BLK, meta, e.devMajor(), e.devMinor());
        case FIFO -> tar.special(path, TarConstants.LF_FIFO, meta, 0, 0);
        case HARDLINK -> {
          Item first = tree.get(e.linkTarget());
          if (first != null && first.layer() == i.getValue().layer() && first.entry().kind() == EntryKind.FILE) {
            tar.hardlink(path, meta, e.linkTarget());
          } else {
            file(objects, tar, path, meta, e);
          }
        }
        case FILE -> file(objects, tar, path, meta, e);
        default -> throw new IOException("unexpected " + e.kind() + " at /" + path + " in a snapshot");
      }
    }
    tar.close();
  }

  private static void file(ObjectStore objects, LayerTarWriter tar, String path, LayerTarWriter.Meta meta, LayerEntry e)
      throws IOException {
    if (e.object() == null) {
      tar.file(path, meta, 0, InputStream.nullInputStream());
      return;
    }
    try (InputStream in = objects.open(e.object())) {
      tar.file(path, meta, e.size(), in);
    }
  }
}
