package dev.strata.union;

import dev.strata.host.ErrnoException;
import dev.strata.host.Errno;
import com.google.common.collect.ImmutableMap;
import dev.strata.layer.Bytes;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Optional;

/**
 * Brings a lower node into the upper before it changes (overlayfs copy_up.c): ancestors first;
 * the copy is prepared in the work directory and renamed into place, so the upper never shows
 * a half-copied file. Data first, then owner, xattrs, mode and times: data written later would
 * clear setuid bits and security.capability, and so would a chown done later.
 *
 * <p>A metadata-only copy-up (chmod, chown, utimes, xattrs of a lower file) creates the upper
 * file without data and marks it metacopy; the data follows at the first write or truncate.
 *
 * <p>Copy-up from an operation that holds no namespace lock ({@link #copyUp}) copies the data
 * outside the lock and only renames under it: the lower content never changes, so a copy made
 * outside is as good as one made inside, and readers are not held up by a large file. Two
 * racing opens are serialized by the node's own lock and copy once.
 */
final class CopyUp {
  /** The unit of a data copy: an all-zero chunk is left a hole. */
  private static final int CHUNK = 1 << 20;
  /** Holes are kept at this granularity: an all-zero block is not written. */
  private static final int BLOCK = 64 * 1024;
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(BLOCK).asReadOnlyBuffer();

  private final Stack stack;

  CopyUp(Stack stack) {
    this.stack = stack;
  }

  /** Copies {@code node} up; the caller holds no namespace lock. */
  void copyUp(Node node, boolean withData) throws IOException {
    if (done(node, withData)) {
      return;
    }
    node.copyUp.lock();
    try {
      Path staged = null;
      stack.namespace.readLock().lock();
      try {
        if (done(node, withData)) {
          return;
        }
        if (node.type == FileType.REGULAR) {
          staged = stage(node, withData || hardLinkedLower(node));
        }
      } finally {
        stack.namespace.readLock().unlock();
      }
      stack.namespace.writeLock().lock();
      try {
        if (!done(node, withData)) {
          copyUpLocked(node, withData, staged);
          staged = null;
        }
      } finally {
        stack.namespace.writeLock().unlock();
        if (staged != null) {
          Files.deleteIfExists(staged);
        }
      }
    } finally {
      node.copyUp.unlock();
    }
  }

  private static boolean done(Node node, boolean withData) {
    return node.upper && !(withData && node.metacopy);
  }

  /** Copies {@code node} up; the caller holds the namespace lock exclusively. */
  void copyUpLocked(Node node, boolean withData) throws IOException {
    copyUpLocked(node, withData, null);
  }

  private void copyUpLocked(Node node, boolean withData, Path staged) throws IOException {
    if (done(node, withData)) {
      if (staged != null) {
        Files.deleteIfExists(staged);
      }
      return;
    }
    stack.checkWritable(node.path());
    if (node.parent != null) {
      copyUpLocked(node.parent, false, null);
    }
    String path = node.path();
    Path target = stack.upper.path(path);
    if (node.upper && node.metacopy) {
      // Data for a metacopy file: fill a staged copy and put it in place of the upper file,
      // which keeps its metadata.
      Path data = staged != null ? staged : stage(node, true);
      copyMetadataFromHost(target, data);
      long replaced = (Long) stack.upper.stat(path).get("ino");
      FileTime[] parentTimes = times(target.getParent());
      stack.upper.host().rename(data, target, 0);
      restoreTimes(target.getParent(), parentTimes);
      stack.inodes.forget(new InodeTable.UpperKey(replaced));
      stack.inodes.alias(new InodeTable.UpperKey((Long) stack.upper.stat(path).get("ino")), node.ino);
      node.metacopy = false;
      node.lowers = java.util.List.of();
      return;
    }
    if (hardLinkedLower(node)) {
      Path index = ensureIndex(node, staged);
      FileTime[] parentTimes = times(target.getParent());
      stack.upper.removeWhiteout(path);
      Files.createLink(target, index);
      restoreTimes(target.getParent(), parentTimes);
      stack.inodes.alias(new InodeTable.UpperKey((Long) stack.upper.stat(path).get("ino")), node.ino);
      node.upper = true;
      node.metacopy = false;
      node.index = index;
      node.lowers = java.util.List.of();
      return;
    }
    LowerRef origin = node.lowers.get(0);
    LowerEntry e = origin.entry();
    Path temp = staged != null ? staged : node.type == FileType.REGULAR ? stage(node, withData) : stack.upper.temp("copyup");
    boolean metacopy = node.type == FileType.REGULAR && !(withData || !stack.options.metacopy());
    try {
      switch (node.type) {
        case DIRECTORY -> Files.createDirectory(temp);
        case SYMLINK -> Files.createSymbolicLink(temp, Path.of(stack.lowers.get(origin.layer()).readlink(origin.path())));
        case REGULAR -> { }
        default -> stack.upper.makeNode(temp, node.type.modeBits() | (e.mode() & 07777), e.rdevMajor(), e.rdevMinor());
      }
      copyMetadata(node, temp, metacopy, !origin.path().equals(path));
      FileTime[] parentTimes = times(target.getParent());
      stack.upper.removeWhiteout(path);
      stack.upper.host().rename(temp, target, HostFiles.RENAME_NOREPLACE);
      // Copy-up changes nothing in the union's parent: put back the times the rename moved, as
      // overlayfs does.
      restoreTimes(target.getParent(), parentTimes);
    } catch (IOException | RuntimeException ex) {
      deleteQuietly(temp);
      throw ex;
    }
    Map<String, Object> attrs = stack.upper.stat(path);
    stack.inodes.alias(new InodeTable.UpperKey((Long) attrs.get("ino")), node.ino);
    node.upper = true;
    node.metacopy = metacopy;
    if (node.type != FileType.DIRECTORY && !metacopy) {
      node.lowers = java.util.List.of();
    }
  }

  /**
   * Whether {@code node} is a name of a lower file with other names: such a file is copied up
   * once, into the index, and every name links to it (the kernel's index=on), so that a change
   * through one name shows through all.
   */
  boolean hardLinkedLower(Node node) {
    return node.type == FileType.REGULAR && !node.upper && !node.lowers.isEmpty()
        && node.lowers.get(0).entry().nlink() > 1 && stack.upper != null;
  }

  /**
   * Returns the index entry of a hard-linked lower node, copying the file there first if no
   * name of it has been copied up yet. Its union link count starts at the lower one.
   */
  Path ensureIndex(Node node, Path staged) throws IOException {
    LowerRef origin = node.lowers.get(0);
    Path index = stack.upper.indexEntry(stack.lowers.get(origin.layer()), origin.entry().identity());
    if (Files.exists(index)) {
      if (staged != null) {
        Files.deleteIfExists(staged);
      }
      node.index = index;
      return index;
    }
    Path data = staged != null ? staged : stage(node, true);
    try {
      copyMetadata(node, data, false, false);
      stack.upper.setUnionNlink(data, origin.entry().nlink());
      Files.createDirectories(index.getParent());
      stack.upper.host().rename(data, index, HostFiles.RENAME_NOREPLACE);
    } catch (IOException | RuntimeException ex) {
      deleteQuietly(data);
      throw ex;
    }
    node.index = index;
    return index;
  }

  /**
   * Prepares the data of a regular file in the work directory: a full copy, or (metacopy) an
   * empty file of the same size. Needs no lock: it only reads the immutable origin.
   */
  Path stage(Node node, boolean withData) throws IOException {
    LowerRef origin = node.lowers.get(0);
    Path temp = stack.upper.temp("copyup");
    boolean metacopyOnly = !withData && stack.options.metacopy() && !node.upper;
    try (FileContent content = stack.lowers.get(origin.layer()).open(origin.path())) {
      if (!metacopyOnly) {
        Optional<Path> host = content.hostFile();
        if (host.isPresent() && stack.upper.host().cloneFile(host.get(), temp)) {
          return temp;
        }
      }
      try (RandomAccessFile out = new RandomAccessFile(Files.createFile(temp).toFile(), "rw")) {
        if (!metacopyOnly) {
          copySparse(content, out.getChannel());
        }
        // The size is right for anyone who reads the upper alone; what was not written is a hole.
        out.setLength(content.size());
      }
      return temp;
    } catch (IOException | RuntimeException ex) {
      deleteQuietly(temp);
      throw ex;
    }
  }

  /**
   * Copies the data of {@code content} in chunks, leaving all-zero chunks as holes: a sparse
   * lower file stays sparse (overlayfs skips holes with SEEK_DATA, which Java lacks).
   */
  /**
   * Copies in 1 MiB direct reads (few system calls, no copy through the heap) and writes only
   * the runs of 64 KiB blocks that hold data, so a sparse lower file stays sparse.
   */
  private static void copySparse(FileContent content, FileChannel out) throws IOException {
    ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
    long pos = 0;
    int n;
    while ((n = content.read(pos, buf.clear())) > 0) {
      int runStart = -1;
      for (int at = 0; ; at += BLOCK) {
        boolean end = at >= n;
        boolean data = !end && !isZero(buf, at, Math.min(BLOCK, n - at));
        if (data && runStart < 0) {
          runStart = at;
        } else if (!data && runStart >= 0) {
          ByteBuffer run = buf.duplicate().limit(Math.min(at, n)).position(runStart);
          while (run.hasRemaining()) {
            out.write(run, pos + run.position());
          }
          runStart = -1;
        }
        if (end) {
          break;
        }
      }
      pos += n;
    }
  }

  private static boolean isZero(ByteBuffer buf, int from, int length) {
    return buf.duplicate().position(from).limit(from + length).mismatch(ZEROS.duplicate().limit(length)) < 0;
  }

  private static FileTime[] times(Path dir) throws IOException {
    Map<String, Object> a = Files.readAttributes(dir, "unix:lastAccessTime,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
    return new FileTime[] {(FileTime) a.get("lastAccessTime"), (FileTime) a.get("lastModifiedTime")};
  }

  private void restoreTimes(Path dir, FileTime[] times) throws IOException {
    stack.upper.host().utimens(dir, UpperDir.nanos(times[0]), UpperDir.nanos(times[1]));
  }

  /** Copies owner, then xattrs, mode and times of {@code node}'s origin onto {@code temp}. */
  private void copyMetadata(Node node, Path temp, boolean metacopy, boolean moved) throws IOException {
    LowerRef origin = node.lowers.get(0);
    LowerEntry e = attrSource(node);
    HostFiles host = stack.upper.host();
    // Owner first: chown(2) from userspace drops setuid bits and security.capability, which
    // the kernel's own copy-up does not have to fear. Then xattrs, then the mode.
    stack.upper.setOwner(temp, e.uid(), e.gid());
    ImmutableMap<String, Bytes> xattrs = node.lowers.isEmpty() ? ImmutableMap.of()
        : stack.lowers.get(origin.layer()).xattrs(origin.path());
    for (Map.Entry<String, Bytes> x : xattrs.entrySet()) {
      try {
        host.setxattr(temp, x.getKey(), x.getValue().toArray());
      } catch (ErrnoException ex) {
        if (ex.errno() != Errno.EOPNOTSUPP && ex.errno() != Errno.EPERM) {
          throw ex;
        }
        // The host cannot hold this namespace (user.* on a symlink, trusted.* unprivileged):
        // the kernel's copy-up skips such xattrs too.
      }
    }
    if (metacopy) {
      stack.upper.setMetacopy(temp);
      if (moved) {
        stack.upper.host().setxattr(temp, stack.upper.host().overlayXattrPrefix() + "redirect",
            ("/" + origin.path()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
    }
    if (node.type != FileType.SYMLINK) {
      stack.upper.setMode(temp, e.mode() & 07777);
    }
    long t = e.mtimeSeconds() * 1_000_000_000L + e.mtimeNanos();
    host.utimens(temp, e.atimeSeconds() * 1_000_000_000L + e.atimeNanos(), t);
  }

  /** Owner, xattrs, mode and times of an upper file, onto a staged replacement of it. */
  private void copyMetadataFromHost(Path from, Path to) throws IOException {
    HostFiles host = stack.upper.host();
    Map<String, Object> a = Files.readAttributes(from, "unix:*", java.nio.file.LinkOption.NOFOLLOW_LINKS);
    host.lchown(to, (Integer) a.get("uid"), (Integer) a.get("gid"));
    for (String name : host.listxattr(from)) {
      if (!name.endsWith("overlay.metacopy") && !name.endsWith("overlay.redirect")) {
        host.setxattr(to, name, host.getxattr(from, name));
      }
    }
    host.chmod(to, (Integer) a.get("mode") & 07777);
    host.utimens(to, UpperDir.nanos((java.nio.file.attribute.FileTime) a.get("lastAccessTime")),
        UpperDir.nanos((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")));
  }

  /** The lower entry whose metadata the copy takes: the topmost with metadata of its own. */
  private static LowerEntry attrSource(Node node) {
    for (LowerRef r : node.lowers) {
      if (!r.entry().implied()) {
        return r.entry();
      }
    }
    return node.lowers.get(0).entry();
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // a leftover in the work directory is harmless; the next mount's cleanup removes it
    }
  }
}
