package dev.strata.union;

import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.HostFile;
import dev.strata.host.HostPath;
import dev.strata.host.PositionalStream;
import dev.strata.layer.LayerTarWriter;
import dev.strata.overlay.Whiteouts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Turns what a union's upper holds into an OCI layer (a changeset): whiteouts become
 * {@code .wh.NAME}, opaque directories get {@code .wh..wh..opq}, and what OCI cannot say is
 * written out in full: a renamed (redirected) directory becomes an opaque directory with its
 * whole merged content, a metacopy file its data, a name of a hard-linked lower file that
 * shows the index its data. Stacking the layer on the same lowers gives back the union's view.
 *
 * <p>Hard links are kept for regular files; other names of a symlink or device (rare, and not
 * read by every tool) are written as entries of their own.
 *
 * <p>Entries are written in name order with fixed owners names and the files' own times, so
 * the same upper over the same lowers always gives the same DiffID.
 */
public final class Changeset {
  private final Stack stack;
  private final Lookup lookup;
  private final InodeOps inodes;
  private final LayerTarWriter tar;
  /** The first path written for each inode, for the hard links that follow. */
  private final Map<Long, String> written = new HashMap<>();
  /** Whether a name of a hard-linked lower file was written (in a redirected directory). */
  private boolean wroteLowerLink;
  /** The time every entry gets, in nanoseconds; null: each file's own. */
  private final Long fixedTime;
  /** Every path written, so that a name is never written twice. */
  private final java.util.Set<String> paths = new java.util.HashSet<>();

  private Changeset(UnionFs fs, OutputStream out, Long fixedTime) {
    this.fixedTime = fixedTime;
    this.stack = fs.stack();
    this.lookup = new Lookup(stack);
    this.inodes = new InodeOps(stack, new CopyUp(stack));
    this.tar = new LayerTarWriter(out);
  }

  /** Writes the changes of {@code fs} to {@code out} as an uncompressed layer tar. */
  public static void write(UnionFs fs, OutputStream out) throws IOException {
    write(fs, out, null);
  }

  /**
   * As {@link #write(UnionFs, OutputStream)}, every entry's time being {@code time} when not
   * null: what a reproducible build asks (buildah's {@code --timestamp}), since the files a
   * command wrote carry the time it ran.
   */
  public static void write(UnionFs fs, OutputStream out, java.time.Instant time) throws IOException {
    if (fs.stack().upper == null) {
      throw new ErrnoException(Errno.EINVAL, "a read-only union has no changes");
    }
    fs.stack().namespace.writeLock().lock();
    try {
      Changeset c = new Changeset(fs, out,
          time == null ? null : time.getEpochSecond() * 1_000_000_000L + time.getNano());
      Node root = fs.stack().node(UnionFs.ROOT);
      c.changes(root, "");
      c.indexedNames(root, "");
      c.tar.close();
    } finally {
      fs.stack().namespace.writeLock().unlock();
    }
  }

  /** Writes what changed under the directory {@code dir}: the upper's entries and whiteouts. */
  private void changes(Node dir, String path) throws IOException {
    UpperDir.Listing listing = stack.upper.list(path);
    TreeMap<String, String> ordered = new TreeMap<>();
    for (String w : listing.whiteouts()) {
      ordered.put(Whiteouts.whiteoutName(w), null);
    }
    for (String n : listing.names()) {
      ordered.put(n, n);
    }
    for (Map.Entry<String, String> e : ordered.entrySet()) {
      if (e.getValue() == null) {
        tar.whiteout(path, Whiteouts.deletedName(e.getKey()));
        continue;
      }
      String name = e.getValue();
      String childPath = join(path, name);
      Node child = lookup.lookup(dir, name);
      if (child == null) {
        continue; // not visible (cannot happen for an upper entry that is not a whiteout)
      }
      entry(child, childPath);
      if (child.isDirectory()) {
        if (stack.upper.isOpaque(childPath) || stack.upper.redirect(childPath) != null) {
          // OCI has no redirects: the directory hides what was below at this name and holds
          // its whole merged content.
          tar.opaque(childPath);
          everything(child, childPath);
        } else {
          changes(child, childPath);
        }
      }
    }
  }

  /** Writes the whole merged content of {@code dir}. */
  private void everything(Node dir, String path) throws IOException {
    for (DirEntry e : MergedDir.list(stack, lookup, dir)) {
      if (e.name().equals(".") || e.name().equals("..")) {
        continue;
      }
      Node child = lookup.lookup(dir, e.name());
      String childPath = join(path, e.name());
      entry(child, childPath);
      if (child.isDirectory()) {
        everything(child, childPath);
      }
    }
  }

  /**
   * Names of hard-linked lower files that the layer must carry although the upper does not
   * hold them: names whose index another name changed (in the union they show the new data),
   * and other names of a lower file the layer already wrote (in the union they are one inode).
   * Written as links to the first name written.
   */
  private void indexedNames(Node dir, String path) throws IOException {
    HostPath indexDir = stack.upper.indexDir();
    if (!wroteLowerLink && (!indexDir.exists() || indexDir.list().isEmpty())) {
      return;
    }
    for (DirEntry e : MergedDir.list(stack, lookup, dir)) {
      if (e.name().equals(".") || e.name().equals("..")) {
        continue;
      }
      Node child = lookup.lookup(dir, e.name());
      String childPath = join(path, e.name());
      if (child.isDirectory()) {
        indexedNames(child, childPath);
      } else if (!child.upper && child.type == FileType.REGULAR) {
        InodeOps.refreshIndex(stack, child);
        if (child.index != null || written.containsKey(child.ino)) {
          entry(child, childPath);
        }
      }
    }
  }

  private void entry(Node node, String path) throws IOException {
    if (!paths.add(path)) {
      return;
    }
    Attr a = inodes.getattr(node);
    TreeMap<String, byte[]> xattrs = new TreeMap<>();
    for (String name : inodes.listxattr(node)) {
      xattrs.put(name, inodes.getxattr(node, name));
    }
    long mtime = fixedTime != null ? fixedTime : a.mtimeNanos();
    LayerTarWriter.Meta meta = new LayerTarWriter.Meta(a.mode() & 07777, a.uid(), a.gid(),
        Math.floorDiv(mtime, 1_000_000_000L), (int) Math.floorMod(mtime, 1_000_000_000L), xattrs);
    switch (node.type) {
      case DIRECTORY -> tar.directory(path, meta);
      case SYMLINK -> tar.symlink(path, meta, inodes.readlink(node));
      case CHAR_DEVICE -> tar.special(path, TarConstants.LF_CHR, meta, a.rdevMajor(), a.rdevMinor());
      case BLOCK_DEVICE -> tar.special(path, TarConstants.LF_BLK, meta, a.rdevMajor(), a.rdevMinor());
      case FIFO -> tar.special(path, TarConstants.LF_FIFO, meta, 0, 0);
      case SOCKET -> { } // a socket means nothing without its process; tar has no type for it
      case REGULAR -> {
        if (!node.upper && !node.lowers.isEmpty() && node.lowers.get(0).entry().nlink() > 1) {
          wroteLowerLink = true;
        }
        String first = written.putIfAbsent(node.ino, path);
        if (first != null) {
          tar.hardlink(path, meta, first);
        } else {
          try (InputStream in = content(node)) {
            tar.file(path, meta, a.size(), in);
          }
        }
      }
      default -> throw new ErrnoException(Errno.EIO, "unexpected " + node.type + " at /" + path);
    }
  }

  /** The bytes of a regular file, from wherever the union takes them. */
  private InputStream content(Node node) throws IOException {
    if (node.upper && !node.metacopy) {
      HostFile f = stack.upperOf(node).open(HostFile.O_RDONLY, 0);
      return new PositionalStream(f::read, f);
    }
    if (node.index != null) {
      HostFile f = stack.upperOf(node).open(HostFile.O_RDONLY, 0);
      return new PositionalStream(f::read, f);
    }
    LowerRef r = node.lowers.get(0);
    FileContent c = stack.lowers.get(r.layer()).open(r.path());
    return new PositionalStream(c::read, c);
  }

  private static String join(String dir, String name) {
    return dir.isEmpty() ? name : dir + "/" + name;
  }

}
