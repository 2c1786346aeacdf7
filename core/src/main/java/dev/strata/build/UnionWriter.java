package dev.strata.build;

import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.HostFile;
import dev.strata.host.Names;
import dev.strata.host.Stat;
import dev.strata.layer.Paths;
import dev.strata.union.Attr;
import dev.strata.union.Ctx;
import dev.strata.union.DirEntry;
import dev.strata.union.SetAttr;
import dev.strata.union.UnionFs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;

/**
 * Writes entries into a union through the engine, by path, as a program in a container would:
 * so a file put over a lower one is copied up, a directory deleted leaves a whiteout, and the
 * union's changeset says it all. Directories above a new entry that the union lacks are made
 * with {@link FileAttributes#DIRECTORY}; the ones it has are left as they are.
 */
final class UnionWriter implements EntrySink {
  private static final int CHUNK = 1 << 16;

  private final UnionFs fs;
  private final Instant time;

  /** Writes into {@code fs}; entries that name no time get {@code time}. */
  UnionWriter(UnionFs fs, Instant time) {
    this.fs = fs;
    this.time = time;
  }

  @Override
  public void put(String path, Draft.Node node) throws IOException {
    if (path.isEmpty()) {
      setAttributes(UnionFs.ROOT, node.attributes, false);
      return;
    }
    long parent = directories(Paths.parent(path));
    String name = Paths.name(path);
    Long existing = find(parent, name);
    if (existing != null) {
      boolean bothDirectories = node.kind == Draft.Kind.DIRECTORY && isDirectory(existing);
      if (bothDirectories) {
        setAttributes(existing, node.attributes, false);
        return;
      }
      remove(parent, name, existing);
    }
    long id = switch (node.kind) {
      case DIRECTORY -> fs.mkdir(parent, name, node.attributes.mode(), Ctx.ROOT);
      case FILE -> file(parent, name, node);
      case SYMLINK -> fs.symlink(parent, name, node.link, Ctx.ROOT);
      case HARDLINK -> fs.link(node(node.link), parent, name);
      case FIFO -> fs.mknod(parent, name, Stat.S_IFIFO | node.attributes.mode(), 0, 0, Ctx.ROOT);
      case CHAR_DEVICE -> fs.mknod(parent, name, Stat.S_IFCHR | node.attributes.mode(), node.major, node.minor, Ctx.ROOT);
      case BLOCK_DEVICE -> fs.mknod(parent, name, Stat.S_IFBLK | node.attributes.mode(), node.major, node.minor, Ctx.ROOT);
    };
    if (node.kind != Draft.Kind.HARDLINK) {
      setAttributes(id, node.attributes, node.kind == Draft.Kind.SYMLINK);
    }
  }

  private long file(long parent, String name, Draft.Node node) throws IOException {
    long[] created = fs.create(parent, name, node.attributes.mode(), HostFile.O_WRONLY, Ctx.ROOT);
    try (InputStream in = node.content.open()) {
      byte[] buf = new byte[CHUNK];
      long offset = 0;
      for (int n; (n = in.read(buf)) > 0; ) {
        ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
        while (b.hasRemaining()) {
          offset += fs.write(created[1], offset, b);
        }
      }
      if (offset != node.content.size()) {
        throw new IOException(Names.printable(name) + ": expected " + node.content.size() + " bytes, got " + offset);
      }
    } finally {
      fs.release(created[1]);
    }
    return created[0];
  }

  /** Owner, then mode (a chown clears setuid bits), then time, last since every change moves it. */
  private void setAttributes(long id, FileAttributes a, boolean symlink) throws IOException {
    fs.setattr(id, SetAttr.owner(a.uid(), a.gid()));
    if (!symlink) {
      fs.setattr(id, SetAttr.mode(a.mode()));
    }
    for (var x : a.xattrs().entrySet()) {
      fs.setxattr(id, x.getKey(), x.getValue());
    }
    Instant t = a.mtime() != null ? a.mtime() : time;
    long nanos = t.getEpochSecond() * 1_000_000_000L + t.getNano();
    fs.setattr(id, SetAttr.times(nanos, nanos));
  }

  /** Returns the directory at {@code path}, made (with its parents) where missing. */
  long directories(String path) throws IOException {
    long dir = UnionFs.ROOT;
    if (path.isEmpty()) {
      return dir;
    }
    for (String name : path.split("/")) {
      Long next = find(dir, name);
      if (next == null) {
        next = fs.mkdir(dir, name, FileAttributes.DIRECTORY.mode(), Ctx.ROOT);
        setAttributes(next, FileAttributes.DIRECTORY, false);
      } else if (!isDirectory(next)) {
        throw new ErrnoException(Errno.ENOTDIR, "/" + Names.printable(path) + ": '" + Names.printable(name)
            + "' is not a directory");
      }
      dir = next;
    }
    return dir;
  }

  /**
   * Returns {@code path} with the symlinks of its directories followed inside the image (an
   * absolute target from the image's root, {@code ..} never above it), and its last name too when
   * it leads to a directory: where a copy to {@code path} lands, as Docker's builders resolve a
   * destination in the container's root (Debian's {@code /lib} is {@code usr/lib}).
   */
  String resolve(String path) throws IOException {
    java.util.Deque<String> todo = new java.util.ArrayDeque<>(java.util.List.of(path.split("/")));
    java.util.List<String> done = new java.util.ArrayList<>();
    int links = 0;
    while (!todo.isEmpty()) {
      String name = todo.poll();
      if (name.isEmpty() || name.equals(".")) {
        continue;
      }
      if (name.equals("..")) {
        if (!done.isEmpty()) {
          done.remove(done.size() - 1);
        }
        continue;
      }
      String here = String.join("/", done);
      Long parent = here.isEmpty() ? Long.valueOf(UnionFs.ROOT) : findPath(here);
      Long n = parent == null ? null : find(parent, name);
      if (n == null || (fs.getattr(n).mode() & Stat.S_IFMT) != Stat.S_IFLNK) {
        done.add(name);
        continue;
      }
      String target = fs.readlink(n);
      if (todo.isEmpty() && !isDirectoryFollowing(here, target)) {
        done.add(name); // a link to a file or to nothing: the copy replaces the link itself
        continue;
      }
      if (++links > 40) {
        throw new ErrnoException(Errno.ELOOP, "/" + Names.printable(path) + ": too many symbolic links");
      }
      java.util.List<String> parts = java.util.List.of(target.split("/"));
      for (int i = parts.size() - 1; i >= 0; i--) {
        todo.push(parts.get(i));
      }
      if (target.startsWith("/")) {
        done.clear();
      }
    }
    return String.join("/", done);
  }

  private boolean isDirectoryFollowing(String dir, String target) throws IOException {
    String resolved = resolve((target.startsWith("/") ? "" : dir + "/") + target + "/.");
    Long n = findPath(resolved);
    return n != null && isDirectory(n);
  }

  /** Returns the node at {@code path}, or null where there is none. */
  Long findPath(String path) throws IOException {
    try {
      return node(path);
    } catch (ErrnoException e) {
      if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
        return null;
      }
      throw e;
    }
  }

  /** The attributes of the directory at {@code path}, or null when there is no directory there. */
  FileAttributes directoryAttributes(String path) throws IOException {
    Long n = findPath(path);
    if (n == null || !isDirectory(n)) {
      return null;
    }
    Attr a = fs.getattr(n);
    long t = a.mtimeNanos();
    return new FileAttributes(a.mode() & 07777, a.uid(), a.gid(),
        Instant.ofEpochSecond(Math.floorDiv(t, 1_000_000_000L), Math.floorMod(t, 1_000_000_000L)), null);
  }

  /** Returns the node at {@code path}, or fails with ENOENT naming it. */
  long node(String path) throws IOException {
    long n = UnionFs.ROOT;
    for (String name : path.isEmpty() ? new String[0] : path.split("/")) {
      n = fs.lookup(n, name);
    }
    return n;
  }

  /** Returns the node of {@code name} in {@code parent}, or null if there is none. */
  Long find(long parent, String name) throws IOException {
    try {
      return fs.lookup(parent, name);
    } catch (ErrnoException e) {
      if (e.errno() == Errno.ENOENT) {
        return null;
      }
      throw e;
    }
  }

  boolean isDirectory(long node) throws IOException {
    Attr a = fs.getattr(node);
    return (a.mode() & Stat.S_IFMT) == Stat.S_IFDIR;
  }

  /** Deletes {@code path} and everything under it, as {@code rm -rf}; nothing there is no error. */
  void delete(String path) throws IOException {
    if (path.isEmpty()) {
      throw new IllegalArgumentException("cannot delete the root of an image");
    }
    Long parent;
    try {
      parent = node(Paths.parent(path));
    } catch (ErrnoException e) {
      if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
        return;
      }
      throw e;
    }
    Long n = find(parent, Paths.name(path));
    if (n != null) {
      remove(parent, Paths.name(path), n);
    }
  }

  private void remove(long parent, String name, long node) throws IOException {
    if (isDirectory(node)) {
      for (DirEntry e : list(node)) {
        Long child = find(node, e.name());
        if (child != null) {
          remove(node, e.name(), child);
        }
      }
      fs.rmdir(parent, name);
    } else {
      fs.unlink(parent, name);
    }
  }

  /** Lists a directory, without "." and "..". */
  List<DirEntry> list(long dir) throws IOException {
    long handle = fs.opendir(dir);
    try {
      return fs.readdir(handle, 0).stream().filter(e -> !e.name().equals(".") && !e.name().equals("..")).toList();
    } finally {
      fs.releasedir(handle);
    }
  }
}
