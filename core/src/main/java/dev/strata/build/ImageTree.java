package dev.strata.build;

import dev.strata.host.HostFile;
import dev.strata.host.PositionalStream;
import dev.strata.host.Stat;
import dev.strata.layer.Paths;
import dev.strata.union.Attr;
import dev.strata.union.DirEntry;
import dev.strata.union.UnionFs;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Copies a file or directory of an image (a union read through the engine) into a draft or
 * another union, as {@code COPY --from} does, by {@link HostTree}'s rules: a directory's
 * contents go into the destination; links stay links; names of one file stay one file.
 */
final class ImageTree {
  private final UnionFs fs;
  private final UnionWriter reader;
  private final EntrySink sink;
  private final CopyOptions options;
  private final Map<Long, String> linked = new HashMap<>();

  private ImageTree(UnionFs fs, EntrySink sink, CopyOptions options) {
    this.fs = fs;
    this.reader = new UnionWriter(fs, Instant.EPOCH);
    this.sink = sink;
    this.options = options;
  }

  /** Copies {@code source} (normalized) of {@code fs} to {@code dest} of {@code sink}. */
  static void copy(UnionFs fs, String source, String dest, boolean intoDirectory, EntrySink sink, CopyOptions options)
      throws IOException {
    ImageTree tree = new ImageTree(fs, sink, options);
    long node = tree.reader.node(source);
    Attr a = fs.getattr(node);
    if ((a.mode() & Stat.S_IFMT) == Stat.S_IFDIR) {
      tree.contents(node, dest, "");
    } else {
      tree.entry(node, a, intoDirectory ? Paths.join(dest, Paths.name(source)) : dest, "");
    }
  }

  private void contents(long dir, String dest, String relative) throws IOException {
    for (DirEntry e : reader.list(dir)) {
      String rel = Paths.join(relative, e.name());
      if (options.include() != null && !options.include().test(rel)) {
        continue;
      }
      long child = fs.lookup(dir, e.name());
      Attr a = fs.getattr(child);
      entry(child, a, Paths.join(dest, e.name()), rel);
      if ((a.mode() & Stat.S_IFMT) == Stat.S_IFDIR) {
        contents(child, Paths.join(dest, e.name()), rel);
      }
    }
  }

  private void entry(long node, Attr a, String dest, String relative) throws IOException {
    FileAttributes attributes = attributes(a);
    for (String name : fs.listxattr(node)) {
      attributes = attributes.withXattr(name, fs.getxattr(node, name)); // security.capability too
    }
    Draft.Node n = switch (a.mode() & Stat.S_IFMT) {
      case Stat.S_IFDIR -> new Draft.Node(Draft.Kind.DIRECTORY, attributes, null, null, 0, 0);
      case Stat.S_IFLNK -> new Draft.Node(Draft.Kind.SYMLINK, attributes, null, fs.readlink(node), 0, 0);
      case Stat.S_IFIFO -> new Draft.Node(Draft.Kind.FIFO, attributes, null, null, 0, 0);
      case Stat.S_IFCHR -> new Draft.Node(Draft.Kind.CHAR_DEVICE, attributes, null, null, a.rdevMajor(), a.rdevMinor());
      case Stat.S_IFBLK -> new Draft.Node(Draft.Kind.BLOCK_DEVICE, attributes, null, null, a.rdevMajor(), a.rdevMinor());
      case Stat.S_IFREG -> file(node, a, dest, attributes);
      default -> null;
    };
    if (n != null) {
      sink.put(dest, n);
    }
  }

  private Draft.Node file(long node, Attr a, String dest, FileAttributes attributes) {
    if (a.nlink() > 1) {
      String first = linked.putIfAbsent(a.ino(), dest);
      if (first != null) {
        return Draft.Node.hardlink(attributes, first);
      }
    }
    return Draft.Node.file(attributes, a.size(), () -> stream(node));
  }

  private InputStream stream(long node) throws IOException {
    long handle = fs.open(node, HostFile.O_RDONLY);
    return new PositionalStream((position, dst) -> fs.read(handle, position, dst), () -> fs.release(handle));
  }

  private FileAttributes attributes(Attr a) {
    long uid = options.uid() != null ? options.uid() : a.uid();
    long gid = options.gid() != null ? options.gid() : options.uid() != null ? options.uid() : a.gid();
    int mode = options.mode() != null ? options.mode() : a.mode() & 07777;
    Instant mtime = Instant.ofEpochSecond(Math.floorDiv(a.mtimeNanos(), 1_000_000_000L),
        Math.floorMod(a.mtimeNanos(), 1_000_000_000L));
    return new FileAttributes(mode, uid, gid, options.keepTimes() ? mtime : null, null);
  }
}
