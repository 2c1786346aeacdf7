package dev.strata.union;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.HostPath;
import dev.strata.host.Stat;
import dev.strata.layer.Bytes;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Attributes, symlinks and extended attributes of a node (overlayfs inode.c): read from the
 * upper file when there is one, else from the topmost lower entry; changed only after copy-up.
 */
final class InodeOps {
  private final Stack stack;
  private final CopyUp copyUp;

  InodeOps(Stack stack, CopyUp copyUp) {
    this.stack = stack;
    this.copyUp = copyUp;
  }

  /**
   * Applies {@code change}: copies up first (data only for a truncate), then changes the upper
   * file. Called without the namespace lock.
   */
  Attr setattr(Node node, SetAttr change) throws IOException {
    stack.checkWritable(node.path());
    if (change.size() != null && node.isDirectory()) {
      throw new ErrnoException(Errno.EISDIR, "/" + node.path());
    }
    copyUp.copyUp(node, change.changesData());
    stack.namespace.readLock().lock();
    try {
      HostPath p = stack.upperOf(node);
      if (change.size() != null) {
        p.truncate(change.size());
      }
      if (change.uid() != null || change.gid() != null) {
        stack.upper.setOwner(p, change.uid() == null ? -1 : change.uid(), change.gid() == null ? -1 : change.gid());
      }
      if (change.mode() != null && node.type != FileType.SYMLINK) {
        stack.upper.setMode(p, change.mode() & 07777);
      }
      if (change.atimeNanos() != null || change.mtimeNanos() != null) {
        Attr now = getattr(node);
        p.utimens(change.atimeNanos() != null ? change.atimeNanos() : now.atimeNanos(),
            change.mtimeNanos() != null ? change.mtimeNanos() : now.mtimeNanos());
      }
      return getattr(node);
    } finally {
      stack.namespace.readLock().unlock();
    }
  }

  void setxattr(Node node, String name, byte[] value, int flags) throws IOException {
    stack.checkWritable(node.path()); // the VFS asks mnt_want_write before xattr_permission
    checkUserXattr(node, name);
    if ((flags & (UnionFs.XATTR_CREATE | UnionFs.XATTR_REPLACE)) != 0) {
      boolean exists;
      stack.namespace.readLock().lock();
      try {
        exists = listxattr(node).contains(name);
      } finally {
        stack.namespace.readLock().unlock();
      }
      if ((flags & UnionFs.XATTR_CREATE) != 0 && exists) {
        throw new ErrnoException(Errno.EEXIST, name);
      }
      if ((flags & UnionFs.XATTR_REPLACE) != 0 && !exists) {
        throw new ErrnoException(Errno.ENODATA, name);
      }
    }
    copyUp.copyUp(node, false);
    stack.namespace.readLock().lock();
    try {
      stack.upperOf(node).setxattr(stack.upper.escapeXattr(name), value);
    } finally {
      stack.namespace.readLock().unlock();
    }
  }

  void removexattr(Node node, String name) throws IOException {
    stack.checkWritable(node.path()); // the VFS asks mnt_want_write before anything else
    checkUserXattr(node, name);
    getxattr(node, name); // ENODATA before any copy-up, as the kernel answers
    copyUp.copyUp(node, false);
    stack.namespace.readLock().lock();
    try {
      if (!stack.upperOf(node).removexattr(stack.upper.escapeXattr(name))) {
        throw new ErrnoException(Errno.ENODATA, name);
      }
    } finally {
      stack.namespace.readLock().unlock();
    }
  }

  Attr getattr(Node node) throws IOException {
    refreshIndex(stack, node);
    if (!node.upper && node.index != null) {
      // A name of a hard-linked lower file that another name changed: it shows the index entry.
      HostPath index = stack.upperOf(node);
      Stat a = stack.upper.stat(index);
      if (a == null) {
        throw new ErrnoException(Errno.ENOENT, index + " vanished from the index");
      }
      // No name left on the host: every name of the file is gone, as an unlinked file shows.
      return UpperDir.attr(a, node.ino).withNlink(a.nlink() == 0 ? 0 : stack.upper.unionNlink(index));
    }
    if (node.upper) {
      Stat a = stack.upper.stat(stack.upperOf(node));
      if (a == null) {
        throw new ErrnoException(Errno.ENOENT, "/" + node.path() + " vanished from the upper directory");
      }
      Attr attr = UpperDir.attr(a, node.ino);
      // A removed name of an indexed file may be its pinned index entry's last host link.
      if (node.type == FileType.REGULAR && (a.nlink() > 1 || (node.removed && a.nlink() > 0))) {
        int union = stack.upper.unionNlink(stack.upperOf(node));
        if (union >= 0) {
          attr = attr.withNlink(union);
        }
      }
      if (node.metacopy) {
        LowerEntry data = node.lowers.get(0).entry();
        attr = attr.withSize(data.size(), (data.size() + 511) / 512);
      }
      if (node.isDirectory() && node.hasLowers()) {
        // As overlayfs: counting the subdirectories of every layer is not worth it, and 1 tells
        // find(1) and friends not to rely on the count.
        attr = attr.withNlink(1);
      }
      return attr;
    }
    return lowerAttr(node);
  }

  /** The attributes of a lower-only node: the topmost entry that has metadata of its own. */
  Attr lowerAttr(Node node) {
    LowerEntry e = node.lowers.get(0).entry();
    for (LowerRef r : node.lowers) {
      if (!r.entry().implied()) {
        e = r.entry();
        break;
      }
    }
    long t = e.mtimeSeconds() * 1_000_000_000L + e.mtimeNanos();
    long at = e.atimeSeconds() * 1_000_000_000L + e.atimeNanos();
    int nlink = node.isDirectory() ? (node.lowers.size() > 1 ? 1 : Math.max(2, e.nlink())) : Math.max(1, e.nlink());
    return new Attr(node.ino, node.type.modeBits() | (e.mode() & 07777), nlink, e.uid(), e.gid(), e.rdevMajor(),
        e.rdevMinor(), e.size(), (e.size() + 511) / 512, at, t, t);
  }

  String readlink(Node node) throws IOException {
    if (node.type != FileType.SYMLINK) {
      throw new ErrnoException(Errno.EINVAL, "/" + node.path() + " is not a symlink");
    }
    if (node.upper) {
      return stack.upperOf(node).readlink();
    }
    LowerRef r = node.lowers.get(0);
    return stack.lowers.get(r.layer()).readlink(r.path());
  }

  /** Notices an index entry made since the node was looked up (another name was changed). */
  static void refreshIndex(Stack stack, Node node) throws IOException {
    if (!node.upper && node.index == null && node.type == FileType.REGULAR && !node.lowers.isEmpty()
        && node.lowers.get(0).entry().nlink() > 1 && stack.upper != null) {
      node.index = stack.indexOf(node.lowers.get(0));
    }
  }

  /** The VFS allows user.* xattrs on regular files and directories only (xattr_permission). */
  private void checkUserXattr(Node node, String name) throws ErrnoException {
    if (stack.upper != null && stack.upper.rootless() && name.equals(UpperDir.OVERRIDE)) {
      throw new ErrnoException(Errno.EPERM, name + " is the union's own in a rootless upper");
    }
    if (name.startsWith("user.") && node.type != FileType.REGULAR && node.type != FileType.DIRECTORY) {
      throw new ErrnoException(Errno.EPERM, name + " on a " + node.type);
    }
  }

  /**
   * Returns the value of xattr {@code name}; ENODATA if absent. The overlay's own are out of
   * reach: a name in their namespace reads the user's escaped copy.
   */
  byte[] getxattr(Node node, String name) throws IOException {
    refreshIndex(stack, node);
    if (stack.upper != null && stack.upper.rootless() && name.equals(UpperDir.OVERRIDE)) {
      throw new ErrnoException(Errno.ENODATA, name);
    }
    if (node.upper || node.index != null) {
      byte[] v = stack.upperOf(node).getxattr(stack.upper.escapeXattr(name));
      if (v == null) {
        throw new ErrnoException(Errno.ENODATA, name);
      }
      return v;
    }
    Bytes v = lowerXattrs(node).get(name);
    if (v == null) {
      throw new ErrnoException(Errno.ENODATA, name);
    }
    return v.toArray();
  }

  List<String> listxattr(Node node) throws IOException {
    refreshIndex(stack, node);
    if (node.upper || node.index != null) {
      List<String> out = new ArrayList<>();
      for (String n : stack.upperOf(node).listxattr()) {
        String shown = stack.upper.unescapeXattr(n);
        if (shown != null) {
          out.add(shown);
        }
      }
      return out;
    }
    return ImmutableList.copyOf(new TreeSet<>(lowerXattrs(node).keySet()));
  }

  ImmutableMap<String, Bytes> lowerXattrs(Node node) throws IOException {
    for (LowerRef r : node.lowers) {
      if (!r.entry().implied()) {
        return stack.lowers.get(r.layer()).xattrs(r.path());
      }
    }
    return ImmutableMap.of();
  }
}
