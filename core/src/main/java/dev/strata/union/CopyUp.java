package dev.strata.union;

import com.google.common.collect.ImmutableMap;
import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.HostDir;
import dev.strata.host.HostFile;
import dev.strata.host.HostPath;
import dev.strata.host.Stat;
import dev.strata.layer.Bytes;
import dev.strata.overlay.Whiteouts;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Brings a lower node into the upper before it changes (overlayfs copy_up.c): ancestors first;
 * the copy is prepared in the work directory and renamed into place, so the upper never shows
 * a half-copied file. Data first, then owner, xattrs, mode and times: data written later would
 * clear setuid bits and security.capability, and so would a chown done later.
 *
 * <p>A metadata-only copy-up (chmod, chown, utimes, xattrs of a lower file) creates the upper
 * file without data and marks it metacopy; the data follows at the first write or truncate.
 *
 * <p>The data is copied by the kernel where it can: a reflink of a file that holds exactly the
 * bytes (FICLONE: btrfs, xfs with reflink), else copy_file_range(2) of each run of data (holes
 * stay holes), which never brings the bytes into this process; through memory only when the
 * kernel cannot copy between the two files.
 *
 * <p>Copy-up from an operation that holds no namespace lock ({@link #copyUp}) copies the data
 * outside the lock and only renames under it: the lower content never changes, so a copy made
 * outside is as good as one made inside, and readers are not held up by a large file. Two
 * racing opens are serialized by the node's own lock and copy once.
 */
final class CopyUp {
  /** The unit of a copy through memory: an all-zero block is left a hole. */
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
    if (node.removed) {
      stack.namespace.writeLock().lock();
      try {
        copyUpRemoved(node, withData);
      } finally {
        stack.namespace.writeLock().unlock();
      }
      return;
    }
    ReentrantLock lock = node.copyUpLock();
    lock.lock();
    try {
      // What the copy needs is taken under the shared lock; the copy itself holds no lock at
      // all (it reads the immutable origin and writes a file of its own in the work directory),
      // so that no mkdir or rename anywhere waits for a large file to be copied.
      LowerRef origin = null;
      boolean metacopyOnly = false;
      stack.namespace.readLock().lock();
      try {
        if (done(node, withData)) {
          return;
        }
        if (node.type == FileType.REGULAR && !node.removed) {
          origin = node.lowers.get(0);
          metacopyOnly = metacopyOnly(node, withData || hardLinkedLower(node));
        }
      } finally {
        stack.namespace.readLock().unlock();
      }
      HostPath staged = origin == null ? null : stage(origin, metacopyOnly);
      stack.namespace.writeLock().lock();
      try {
        if (!done(node, withData)) {
          copyUpLocked(node, withData, staged);
          staged = null;
        }
      } finally {
        stack.namespace.writeLock().unlock();
        if (staged != null) {
          staged.deleteIfExists();
        }
      }
    } finally {
      lock.unlock();
    }
  }

  private static boolean done(Node node, boolean withData) {
    return node.upper && !(withData && node.metacopy);
  }

  /** Copies {@code node} up; the caller holds the namespace lock exclusively. */
  void copyUpLocked(Node node, boolean withData) throws IOException {
    copyUpLocked(node, withData, null);
  }

  private void copyUpLocked(Node node, boolean withData, HostPath staged) throws IOException {
    if (done(node, withData)) {
      if (staged != null) {
        staged.deleteIfExists();
      }
      return;
    }
    stack.checkWritable(node.path());
    if (node.removed) {
      if (staged != null) {
        staged.deleteIfExists(); // staged before the name went: its copy-up is in place now
      }
      copyUpRemoved(node, withData);
      return;
    }
    if (node.parent != null) {
      copyUpLocked(node.parent, false, null);
    }
    String path = node.path();
    HostPath target = stack.upper.path(path);
    if (node.upper && node.metacopy) {
      // Data for a metacopy file: fill a staged copy and put it in place of the upper file,
      // which keeps its metadata.
      HostPath data = staged != null ? staged : stage(node, true);
      copyMetadataFromHost(target, data);
      long replaced = target.stat().ino();
      long[] parentTimes = times(target.parent());
      data.rename(target, 0);
      restoreTimes(target.parent(), parentTimes);
      stack.inodes.forget(new InodeTable.UpperKey(replaced));
      stack.inodes.alias(new InodeTable.UpperKey(target.stat().ino()), node.ino);
      node.metacopy = false;
      node.lowers = java.util.List.of();
      return;
    }
    if (hardLinkedLower(node)) {
      HostPath index = ensureIndex(node, staged);
      long[] parentTimes = times(target.parent());
      stack.upper.removeWhiteout(path);
      index.link(target);
      restoreTimes(target.parent(), parentTimes);
      stack.inodes.alias(new InodeTable.UpperKey(target.stat().ino()), node.ino);
      node.upper = true;
      node.metacopy = false;
      node.index = index;
      node.lowers = java.util.List.of();
      return;
    }
    LowerRef origin = node.lowers.get(0);
    LowerEntry e = origin.entry();
    HostPath temp = staged != null ? staged
        : node.type == FileType.REGULAR ? stage(node, withData) : stack.upper.temp("copyup");
    boolean metacopy = node.type == FileType.REGULAR && !(withData || !stack.options.metacopy());
    try {
      switch (node.type) {
        case DIRECTORY -> temp.mkdir(0700);
        case SYMLINK -> temp.symlink(stack.lowers.get(origin.layer()).readlink(origin.path()));
        case REGULAR -> { }
        default -> stack.upper.makeNode(temp, node.type.modeBits() | (e.mode() & 07777), e.rdevMajor(), e.rdevMinor());
      }
      copyMetadata(node, temp, metacopy);
      long[] parentTimes = times(target.parent());
      stack.upper.removeWhiteout(path);
      temp.rename(target, HostDir.RENAME_NOREPLACE);
      // Copy-up changes nothing in the union's parent: put back the times the rename moved, as
      // overlayfs does.
      restoreTimes(target.parent(), parentTimes);
    } catch (IOException | RuntimeException ex) {
      deleteQuietly(temp);
      throw ex;
    }
    stack.inodes.alias(new InodeTable.UpperKey(target.stat().ino()), node.ino);
    node.upper = true;
    node.metacopy = metacopy;
    if (node.type != FileType.DIRECTORY && !metacopy) {
      node.lowers = java.util.List.of();
    }
  }

  /**
   * Copy-up of a node whose name is gone, used through an open descriptor. Its upper file (or
   * index entry) is kept and changed in place; a metacopy file gets its data there. A lower
   * file that never was copied up has no name to be copied up to, and the kernel's overlay
   * answers what its copy-up meets at the old name in the parent's upper directory: a link of
   * the copy there is EEXIST (a whiteout or a new file holds the name), a rename of a directory
   * copy is ENOTDIR onto a whiteout or file and ENOTEMPTY onto a directory, and either is
   * ENOENT once that parent was removed too (its upper directory is dead).
   */
  private void copyUpRemoved(Node node, boolean withData) throws IOException {
    if (node.upper && node.metacopy && withData) {
      HostPath file = stack.upperOf(node);
      try (FileContent content = stack.lowers.get(node.lowers.get(0).layer()).open(node.lowers.get(0).path());
          HostFile out = file.open(HostFile.O_WRONLY, 0)) {
        copyData(content, out);
      }
      file.removexattr(stack.upper.prefix() + Whiteouts.XATTR_METACOPY);
      file.removexattr(stack.upper.prefix() + Whiteouts.XATTR_REDIRECT);
      node.metacopy = false;
      node.lowers = java.util.List.of();
      return;
    }
    if (node.upper || node.index != null) {
      return;
    }
    String why = "/" + node.path() + ": its name was removed before it was copied up";
    if (node.parent != null && node.parent.removed) {
      throw new ErrnoException(Errno.ENOENT, why + ", and then its directory");
    }
    if (!node.isDirectory()) {
      throw new ErrnoException(Errno.EEXIST, why);
    }
    // The kernel's rename would replace a directory there that its host holds empty, leaving
    // the union showing one directory and its upper another; refused here instead.
    Stat there = stack.upper.path(node.path()).stat();
    throw new ErrnoException(there != null && there.isDirectory() ? Errno.ENOTEMPTY : Errno.ENOTDIR, why);
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
  HostPath ensureIndex(Node node, HostPath staged) throws IOException {
    LowerRef origin = node.lowers.get(0);
    HostPath index = stack.upper.indexEntry(stack.lowers.get(origin.layer()), origin.entry().identity());
    if (index.exists()) {
      if (staged != null) {
        staged.deleteIfExists();
      }
      node.index = index;
      return index;
    }
    HostPath data = staged != null ? staged : stage(node, true);
    try {
      copyMetadata(node, data, false);
      stack.upper.setUnionNlink(data, origin.entry().nlink());
      if (!index.parent().exists()) {
        index.parent().mkdir(0700);
      }
      data.rename(index, HostDir.RENAME_NOREPLACE);
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
  HostPath stage(Node node, boolean withData) throws IOException {
    return stage(node.lowers.get(0), metacopyOnly(node, withData));
  }

  /** Whether a copy-up of {@code node} copies metadata alone (the kernel's metacopy=on). */
  private boolean metacopyOnly(Node node, boolean withData) {
    return !withData && stack.options.metacopy() && !node.upper;
  }

  /** Stages {@code origin}'s data, or (metacopy) an empty file of its size; takes no lock. */
  private HostPath stage(LowerRef origin, boolean metacopyOnly) throws IOException {
    HostPath temp = stack.upper.temp("copyup");
    try (FileContent content = stack.lowers.get(origin.layer()).open(origin.path());
        HostFile out = temp.open(HostFile.O_RDWR | HostFile.O_CREAT | HostFile.O_EXCL, 0600)) {
      if (!metacopyOnly) {
        copyData(content, out);
      }
      // The size is right for anyone who reads the upper alone; what was not written is a hole.
      out.truncate(content.size());
      return temp;
    } catch (IOException | RuntimeException ex) {
      deleteQuietly(temp);
      throw ex;
    }
  }

  /** Copies the bytes of {@code content} into the empty file {@code out}, keeping holes. */
  private static void copyData(FileContent content, HostFile out) throws IOException {
    FileContent.Extent source = content.extent();
    if (source != null) {
      if (source.whole() && out.cloneFrom(source.file())) {
        return;
      }
      try {
        copyInKernel(source, content.size(), out);
        return;
      } catch (ErrnoException e) {
        if (e.errno() != Errno.EXDEV && e.errno() != Errno.EOPNOTSUPP && e.errno() != Errno.EINVAL
            && e.errno() != Errno.ENOSYS) {
          throw e;
        }
        // These two files are beyond the kernel's copy (another filesystem type, a special
        // file): through memory, from the start, over whatever was copied.
      }
    }
    copySparse(content, out);
  }

  /**
   * copy_file_range of each run of data of the source: the kernel skips nothing by itself, so
   * the runs come from SEEK_DATA and SEEK_HOLE (a whole file only: a pack holds no holes).
   */
  private static void copyInKernel(FileContent.Extent source, long size, HostFile out) throws IOException {
    if (!source.whole()) {
      out.copyFrom(source.file(), source.offset(), 0, size);
      return;
    }
    long at = 0;
    while (at < size) {
      long data = source.file().nextData(at);
      if (data < 0 || data >= size) {
        return; // a hole up to the end: truncate makes it
      }
      long hole = Math.min(size, source.file().nextHole(data));
      long copied = out.copyFrom(source.file(), data, data, hole - data);
      if (copied < hole - data) {
        throw new ErrnoException(Errno.EIO, source.file() + " ends before its " + size + " bytes");
      }
      at = hole;
    }
  }

  /**
   * Copies in 1 MiB direct reads (few system calls, no copy through the heap) and writes only
   * the runs of 64 KiB blocks that hold data, so a sparse lower file stays sparse.
   */
  private static void copySparse(FileContent content, HostFile out) throws IOException {
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
          out.write(pos + runStart, run);
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

  private static long[] times(HostPath dir) throws IOException {
    Stat a = dir.stat();
    return new long[] {a.atimeNanos(), a.mtimeNanos()};
  }

  private static void restoreTimes(HostPath dir, long[] times) throws IOException {
    dir.utimens(times[0], times[1]);
  }

  /** Copies owner, then xattrs, mode and times of {@code node}'s origin onto {@code temp}. */
  private void copyMetadata(Node node, HostPath temp, boolean metacopy) throws IOException {
    LowerRef origin = node.lowers.get(0);
    LowerEntry e = attrSource(node);
    // Owner first: chown(2) from userspace drops setuid bits and security.capability, which
    // the kernel's own copy-up does not have to fear. Then xattrs, then the mode.
    stack.upper.setOwner(temp, e.uid(), e.gid());
    ImmutableMap<String, Bytes> xattrs = node.lowers.isEmpty() ? ImmutableMap.of()
        : stack.lowers.get(origin.layer()).xattrs(origin.path());
    for (Map.Entry<String, Bytes> x : xattrs.entrySet()) {
      try {
        temp.setxattr(x.getKey(), x.getValue().toArray());
      } catch (ErrnoException ex) {
        if (ex.errno() != Errno.EOPNOTSUPP && ex.errno() != Errno.EPERM) {
          throw ex;
        }
        // The host cannot hold this namespace (user.* on a symlink, trusted.* unprivileged):
        // the kernel's copy-up skips such xattrs too.
      }
    }
    if (metacopy) {
      // No redirect, as the kernel writes none: the parent's layers lead to the data, and a
      // path spelled in the origin's layer would miss what the layers between hold there.
      stack.upper.setMetacopy(temp);
    }
    if (node.type != FileType.SYMLINK) {
      stack.upper.setMode(temp, e.mode() & 07777);
    }
    long t = e.mtimeSeconds() * 1_000_000_000L + e.mtimeNanos();
    temp.utimens(e.atimeSeconds() * 1_000_000_000L + e.atimeNanos(), t);
  }

  /** Owner, xattrs, mode and times of an upper file, onto a staged replacement of it. */
  private void copyMetadataFromHost(HostPath from, HostPath to) throws IOException {
    Stat a = from.stat();
    to.chown(a.uid(), a.gid());
    for (String name : from.listxattr()) {
      if (!name.endsWith(Whiteouts.XATTR_NAMESPACE + Whiteouts.XATTR_METACOPY)
          && !name.endsWith(Whiteouts.XATTR_NAMESPACE + Whiteouts.XATTR_REDIRECT)) {
        to.setxattr(name, from.getxattr(name));
      }
    }
    to.chmod(a.mode() & 07777);
    to.utimens(a.atimeNanos(), a.mtimeNanos());
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

  private static void deleteQuietly(HostPath p) {
    try {
      p.deleteIfExists();
    } catch (IOException ignored) {
      // a leftover in the work directory is harmless; the next union's open removes it
    }
  }
}
