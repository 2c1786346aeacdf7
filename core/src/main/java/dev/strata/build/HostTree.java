package dev.strata.build;

import dev.strata.host.HostDir;
import dev.strata.host.HostFile;
import dev.strata.host.Names;
import dev.strata.host.Stat;
import dev.strata.layer.Paths;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Copies a host file or directory into a layer's draft as {@code COPY} does: a directory's
 * contents go into the destination, a file goes to the destination (or into it, when it ends
 * in {@code /}); symlinks are copied as links, never followed (but a source that is one is);
 * names of one host file are hard links in the layer too; sockets are left out, since a tar
 * cannot hold them. Names are taken as the host's bytes, whatever the locale.
 *
 * <p>File contents are read when the layer is written, through the directory opened here, so
 * the draft holds it open until then.
 */
final class HostTree implements AutoCloseable {
  private final HostDir dir;
  private final CopyOptions options;
  /** The source's name in {@link #dir}. */
  private final String name;
  /** Whether the source is a directory, whose contents go into the destination. */
  private final boolean directory;
  /** What the walk found, in its order: each entry by its path under the source ("" the source). */
  private final List<Item> items = new ArrayList<>();
  /** The first path (under the source) of each host inode with more than one name. */
  private final Map<String, String> linked = new HashMap<>();

  /** An entry of the walk; a later name of a host file links to the path {@code linkedTo}. */
  private record Item(String relative, Draft.Node node, String linkedTo) {}

  private HostTree(HostDir dir, String name, boolean directory, CopyOptions options) {
    this.dir = dir;
    this.name = name;
    this.directory = directory;
    this.options = options;
  }

  /** Copies {@code source} to {@code dest} (normalized); returns the opened directory to close after writing. */
  static HostDir copy(Path source, String dest, boolean intoDirectory, EntrySink draft, CopyOptions options)
      throws IOException {
    HostTree tree = walk(source, options);
    try {
      tree.copyTo(dest, intoDirectory, draft);
      return tree.dir;
    } catch (IOException | RuntimeException e) {
      tree.close();
      throw e;
    }
  }

  /**
   * Walks {@code source} once, for a build step that both keys its cache by what it copies
   * ({@link ContentKey}) and then copies it: one stat of each file, and what the key saw is
   * what the layer gets. Close it after the layer is written.
   */
  static HostTree walk(Path source, CopyOptions options) throws IOException {
    Path real = source.toRealPath();
    Path parent = real.getParent();
    HostDir dir = HostDir.open(parent == null ? real : parent);
    try {
      String name = Names.fileName(real);
      Stat st = dir.stat(name);
      if (st == null) {
        throw new java.nio.file.NoSuchFileException(source.toString());
      }
      HostTree tree = new HostTree(dir, name, st.isDirectory(), options);
      if (tree.directory) {
        tree.directoryContents(tree.name);
      } else {
        tree.entry(tree.name, st, "");
      }
      return tree;
    } catch (IOException | RuntimeException e) {
      dir.close();
      throw e;
    }
  }

  /**
   * Puts what the walk found into {@code sink} at {@code dest} (normalized): a directory's
   * contents into it, a file to it, or into it when {@code intoDirectory}.
   */
  void copyTo(String dest, boolean intoDirectory, EntrySink sink) throws IOException {
    String base = directory || !intoDirectory ? dest : Paths.join(dest, Paths.name(name));
    for (Item i : items) {
      Draft.Node n = i.node;
      Draft.Node node = i.linkedTo != null
          ? Draft.Node.hardlink(n.attributes, at(base, i.linkedTo))
          : new Draft.Node(n.kind, n.attributes, n.content, n.link, n.major, n.minor); // a sink may fill a directory's
      sink.put(at(base, i.relative), node);
    }
  }

  private static String at(String base, String relative) {
    return relative.isEmpty() ? base : Paths.join(base, relative);
  }

  @Override
  public void close() {
    dir.close();
  }

  private void directoryContents(String rel) throws IOException {
    for (HostDir.Entry e : dir.list(rel)) {
      walk(Paths.join(rel, e.name()), e.name());
    }
  }

  private void walk(String rel, String relative) throws IOException {
    boolean included = options.include() == null || options.include().test(relative);
    if (!included && (options.descend() == null || !options.descend().test(relative))) {
      return;
    }
    Stat st = dir.stat(rel);
    if (st == null || (!included && !st.isDirectory())) {
      return; // gone since the listing, or left out
    }
    if (included) {
      entry(rel, st, relative);
    }
    if (st.isDirectory()) {
      for (HostDir.Entry e : dir.list(rel)) {
        walk(Paths.join(rel, e.name()), Paths.join(relative, e.name()));
      }
    }
  }

  private void entry(String rel, Stat st, String relative) throws IOException {
    FileAttributes attributes = attributes(st);
    Draft.Node node = switch (st.type()) {
      case Stat.S_IFDIR -> new Draft.Node(Draft.Kind.DIRECTORY, attributes, null, null, 0, 0);
      case Stat.S_IFLNK -> new Draft.Node(Draft.Kind.SYMLINK, attributes, null, dir.readlink(rel), 0, 0);
      case Stat.S_IFIFO -> new Draft.Node(Draft.Kind.FIFO, attributes, null, null, 0, 0);
      case Stat.S_IFCHR -> new Draft.Node(Draft.Kind.CHAR_DEVICE, attributes, null, null, st.rdevMajor(), st.rdevMinor());
      case Stat.S_IFBLK -> new Draft.Node(Draft.Kind.BLOCK_DEVICE, attributes, null, null, st.rdevMajor(), st.rdevMinor());
      case Stat.S_IFREG -> Draft.Node.hostFile(attributes, st, () -> dir.open(rel, HostFile.O_RDONLY, 0).stream());
      default -> null; // a socket: no tar holds one
    };
    if (node == null) {
      return;
    }
    String first = st.type() == Stat.S_IFREG && st.nlink() > 1
        ? linked.putIfAbsent(st.dev() + ":" + st.ino(), relative) : null;
    items.add(new Item(relative, node, first));
  }

  private FileAttributes attributes(Stat st) {
    long uid = options.uid() != null ? options.uid() : 0;
    long gid = options.gid() != null ? options.gid() : options.uid() != null ? options.uid() : 0;
    int mode = options.mode() != null ? options.mode() : st.mode() & 07777;
    Instant mtime = options.keepTimes() ? Instant.ofEpochSecond(Math.floorDiv(st.mtimeNanos(), 1_000_000_000L)) : null;
    return new FileAttributes(mode, uid, gid, mtime, null);
  }
}
