package dev.strata.build;

import dev.strata.host.HostDir;
import dev.strata.host.HostFile;
import dev.strata.host.Names;
import dev.strata.host.Stat;
import dev.strata.layer.Paths;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
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
final class HostTree {
  private final HostDir dir;
  private final EntrySink draft;
  private final CopyOptions options;
  private final Map<String, String> linked = new HashMap<>();

  private HostTree(HostDir dir, EntrySink draft, CopyOptions options) {
    this.dir = dir;
    this.draft = draft;
    this.options = options;
  }

  /** Copies {@code source} to {@code dest} (normalized); returns the opened directory to close after writing. */
  static HostDir copy(Path source, String dest, boolean intoDirectory, EntrySink draft, CopyOptions options)
      throws IOException {
    Path real = source.toRealPath();
    Path parent = real.getParent();
    HostDir dir = HostDir.open(parent == null ? real : parent);
    try {
      String name = Names.fileName(real);
      HostTree tree = new HostTree(dir, draft, options);
      Stat st = dir.stat(name);
      if (st == null) {
        throw new java.nio.file.NoSuchFileException(source.toString());
      }
      if (st.isDirectory()) {
        tree.directoryContents(name, dest);
      } else {
        tree.entry(name, st, intoDirectory ? Paths.join(dest, Paths.name(name)) : dest, "");
      }
      return dir;
    } catch (IOException | RuntimeException e) {
      dir.close();
      throw e;
    }
  }

  private void directoryContents(String rel, String dest) throws IOException {
    for (HostDir.Entry e : dir.list(rel)) {
      String child = Paths.join(rel, e.name());
      String relative = child.substring(rel.isEmpty() ? 0 : rel.length() + 1);
      walk(child, Paths.join(dest, e.name()), relative);
    }
  }

  private void walk(String rel, String dest, String relative) throws IOException {
    boolean included = options.include() == null || options.include().test(relative);
    if (!included && (options.descend() == null || !options.descend().test(relative))) {
      return;
    }
    Stat st = dir.stat(rel);
    if (st == null || (!included && !st.isDirectory())) {
      return; // gone since the listing, or left out
    }
    if (included) {
      entry(rel, st, dest, relative);
    }
    if (st.isDirectory()) {
      for (HostDir.Entry e : dir.list(rel)) {
        walk(Paths.join(rel, e.name()), Paths.join(dest, e.name()), Paths.join(relative, e.name()));
      }
    }
  }

  private void entry(String rel, Stat st, String dest, String relative) throws IOException {
    FileAttributes attributes = attributes(st);
    Draft.Node node = switch (st.type()) {
      case Stat.S_IFDIR -> new Draft.Node(Draft.Kind.DIRECTORY, attributes, null, null, 0, 0);
      case Stat.S_IFLNK -> new Draft.Node(Draft.Kind.SYMLINK, attributes, null, dir.readlink(rel), 0, 0);
      case Stat.S_IFIFO -> new Draft.Node(Draft.Kind.FIFO, attributes, null, null, 0, 0);
      case Stat.S_IFCHR -> new Draft.Node(Draft.Kind.CHAR_DEVICE, attributes, null, null, st.rdevMajor(), st.rdevMinor());
      case Stat.S_IFBLK -> new Draft.Node(Draft.Kind.BLOCK_DEVICE, attributes, null, null, st.rdevMajor(), st.rdevMinor());
      case Stat.S_IFREG -> file(rel, st, dest, attributes);
      default -> null; // a socket: no tar holds one
    };
    if (node != null) {
      draft.put(dest, node);
    }
  }

  private Draft.Node file(String rel, Stat st, String dest, FileAttributes attributes) {
    if (st.nlink() > 1) {
      String first = linked.putIfAbsent(st.dev() + ":" + st.ino(), dest);
      if (first != null) {
        return Draft.Node.hardlink(attributes, first);
      }
    }
    return Draft.Node.hostFile(attributes, st, () -> dir.open(rel, HostFile.O_RDONLY, 0).stream());
  }

  private FileAttributes attributes(Stat st) {
    long uid = options.uid() != null ? options.uid() : 0;
    long gid = options.gid() != null ? options.gid() : options.uid() != null ? options.uid() : 0;
    int mode = options.mode() != null ? options.mode() : st.mode() & 07777;
    Instant mtime = options.keepTimes() ? Instant.ofEpochSecond(Math.floorDiv(st.mtimeNanos(), 1_000_000_000L)) : null;
    return new FileAttributes(mode, uid, gid, mtime, null);
  }
}
