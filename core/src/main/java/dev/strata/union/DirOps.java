package dev.strata.union;

import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.HostDir;
import dev.strata.host.HostPath;
import dev.strata.host.Stat;
import java.io.IOException;

/**
 * Changes of names (overlayfs dir.c): create, mkdir, mknod, symlink, link, unlink, rmdir,
 * rename. Every one runs under the namespace lock held exclusively. A name that the lowers
 * still hold is whited out when it goes; a directory made where the lowers had something is
 * opaque, so their old content does not show through it.
 */
final class DirOps {
  private final Stack stack;
  private final Lookup lookup;
  private final CopyUp copyUp;
  private final InodeOps inodeOps;

  DirOps(Stack stack, Lookup lookup, CopyUp copyUp, InodeOps inodeOps) {
    this.stack = stack;
    this.lookup = lookup;
    this.copyUp = copyUp;
    this.inodeOps = inodeOps;
  }

  /** Creates a file of {@code mode}'s type (regular, fifo, socket, device, directory). */
  Node create(Node parent, String name, int mode, int rdevMajor, int rdevMinor, Ctx ctx) throws IOException {
    return make(parent, name, mode, ctx, path -> {
      FileType type = FileType.ofMode(mode);
      // Made private to the owner, then given the caller's mode once owner and group are set.
      switch (type) {
        case REGULAR -> path.createFile(0600);
        case DIRECTORY -> path.mkdir(0700);
        default -> stack.upper.makeNode(path, mode, rdevMajor, rdevMinor);
      }
    });
  }

  Node symlink(Node parent, String name, String target, Ctx ctx) throws IOException {
    return make(parent, name, FileType.SYMLINK.modeBits() | 0777, ctx,
        path -> path.symlink(target));
  }

  private interface Maker {
    void make(HostPath path) throws IOException;
  }

  private Node make(Node parent, String name, int mode, Ctx ctx, Maker maker) throws IOException {
    Lookup.checkName(name);
    checkDir(parent);
    if (lookup.lookup(parent, name) != null) {
      throw new ErrnoException(Errno.EEXIST, "/" + parent.childPath(name));
    }
    stack.checkWritable(parent.path());
    copyUp.copyUpLocked(parent, false);
    String path = parent.childPath(name);
    boolean overLower = lowerHolds(parent, name);
    stack.upper.removeWhiteout(path);
    HostPath host = stack.upper.path(path);
    // A setgid directory hands its group to what is made in it, and its setgid bit to new
    // directories (as the VFS does for local filesystems; FUSE leaves it to us).
    Attr parentAttr = inodeOps.getattr(parent);
    boolean setgidParent = (parentAttr.mode() & 02000) != 0;
    long gid = setgidParent ? parentAttr.gid() : ctx.gid();
    int perms = mode & 07777;
    if (setgidParent && FileType.ofMode(mode) == FileType.DIRECTORY) {
      perms |= 02000;
    }
    try {
      maker.make(host);
      stack.upper.setOwner(host, ctx.uid(), gid);
      if (FileType.ofMode(mode) != FileType.SYMLINK) {
        stack.upper.setMode(host, perms);
      }
      if (overLower && FileType.ofMode(mode) == FileType.DIRECTORY) {
        stack.upper.setOpaque(path);
      }
    } catch (IOException | RuntimeException e) {
      // Put back what was there: nothing, and the whiteout if the lowers hold the name.
      deleteTree(host);
      if (overLower) {
        stack.upper.whiteout(path);
      }
      throw e;
    }
    return lookup.lookup(parent, name);
  }

  /** Makes {@code newName} in {@code newParent} another name of {@code node}. */
  Node link(Node node, Node newParent, String newName) throws IOException {
    checkLink(node, newParent, newName);
    copyUp.copyUpLocked(node, true);
    copyUp.copyUpLocked(newParent, false);
    String path = newParent.childPath(newName);
    stack.upper.removeWhiteout(path);
    stack.upper.path(node.path()).link(stack.upper.path(path));
    int union = stack.upper.unionNlink(stack.upper.path(path));
    if (union >= 0) {
      stack.upper.setUnionNlink(stack.upper.path(path), union + 1);
    }
    return lookup.lookup(newParent, newName);
  }

  /**
   * The checks of linkat(2) before anything changes, in its order; callable under the shared
   * lock, so that the copy-up a link needs can be made before the exclusive lock is taken.
   */
  void checkLink(Node node, Node newParent, String newName) throws IOException {
    Lookup.checkName(newName);
    checkDir(newParent);
    // linkat(2) resolves the new name first: EEXIST wins over EPERM for a directory.
    if (lookup.lookup(newParent, newName) != null) {
      throw new ErrnoException(Errno.EEXIST, "/" + newParent.childPath(newName));
    }
    stack.checkWritable(node.path()); // filename_create's mnt_want_write comes before vfs_link
    if (node.isDirectory()) {
      throw new ErrnoException(Errno.EPERM, "/" + node.path() + " is a directory");
    }
  }

  void unlink(Node parent, String name) throws IOException {
    stack.checkWritable(parent.childPath(name)); // the VFS asks mnt_want_write before the lookup
    Node node = existing(parent, name);
    if (node.isDirectory()) {
      throw new ErrnoException(Errno.EISDIR, "/" + node.path());
    }
    remove(parent, node);
  }

  void rmdir(Node parent, String name) throws IOException {
    stack.checkWritable(parent.childPath(name)); // the VFS asks mnt_want_write before the lookup
    Node node = existing(parent, name);
    if (!node.isDirectory()) {
      throw new ErrnoException(Errno.ENOTDIR, "/" + node.path());
    }
    if (node.parent == null) {
      throw new ErrnoException(Errno.EBUSY, "/");
    }
    checkEmpty(node);
    remove(parent, node);
  }

  /** Removes a name: the upper object if any, then a whiteout if the lowers hold the name. */
  private void remove(Node parent, Node node) throws IOException {
    stack.checkWritable(node.path());
    String path = node.path();
    boolean lowerHolds = lowerHolds(parent, node.name);
    if (lowerHolds) {
      copyUp.copyUpLocked(parent, false);
    }
    dropLink(node);
    if (node.upper) {
      pin(node);
      deleteTree(stack.upper.path(path));
    }
    if (lowerHolds) {
      stack.upper.whiteout(path);
    }
    detach(parent, node);
    node.removed = true;
  }

  /**
   * Keeps the upper file (or index entry) of a node whose name goes: the kernel may still use
   * it through an open descriptor (fstat, ftruncate, fchmod, f*xattr), as the kernel's overlay
   * keeps its real inode. Let go when the kernel forgets the node.
   */
  private void pin(Node node) throws IOException {
    if (node.pin == null && (node.upper || node.index != null)) {
      node.pin = stack.upperOf(node).pin();
    }
  }

  /**
   * Accounts for a name of an indexed (hard-linked lower) file going away: its union link
   * count drops, and the index entry goes with the last name. A lower-only name is copied into
   * the index first, so that the count has somewhere to live, as the kernel does.
   */
  private void dropLink(Node node) throws IOException {
    if (node.type != FileType.REGULAR) {
      return;
    }
    InodeOps.refreshIndex(stack, node);
    if (copyUp.hardLinkedLower(node)) {
      copyUp.ensureIndex(node, null);
    }
    HostPath live = node.upper || node.index != null ? stack.upperOf(node) : null;
    if (live == null) {
      return;
    }
    int union = stack.upper.unionNlink(live);
    if (union < 0) {
      return;
    }
    // The removed name keeps the index entry's inode, whatever becomes of the other names.
    pin(node);
    if (union <= 1 && node.index != null) {
      node.index.deleteIfExists();
    } else {
      stack.upper.setUnionNlink(live, union - 1);
    }
  }

  /** Renames, with renameat2 flags. */
  void rename(Node parent, String name, Node newParent, String newName, int flags) throws IOException {
    Lookup.checkName(newName);
    checkDir(newParent);
    if ((flags & ~(HostDir.RENAME_NOREPLACE | HostDir.RENAME_EXCHANGE | HostDir.RENAME_WHITEOUT)) != 0
        || ((flags & HostDir.RENAME_EXCHANGE) != 0 && (flags & (HostDir.RENAME_NOREPLACE | HostDir.RENAME_WHITEOUT)) != 0)) {
      throw new ErrnoException(Errno.EINVAL, "rename flags " + flags);
    }
    stack.checkWritable(parent.childPath(name)); // the VFS asks mnt_want_write before the lookups
    Node source = existing(parent, name);
    Node target = lookup.lookup(newParent, newName);
    boolean exchange = (flags & HostDir.RENAME_EXCHANGE) != 0;
    if (exchange && target == null) {
      throw new ErrnoException(Errno.ENOENT, "/" + newParent.childPath(newName));
    }
    if (target != null && (flags & HostDir.RENAME_NOREPLACE) != 0) {
      throw new ErrnoException(Errno.EEXIST, "/" + newParent.childPath(newName));
    }
    // The VFS's checks, in its order (do_renameat2): the source must not be an ancestor of the
    // new parent, nor the target one of the old parent, before "same file" and the types.
    if (source.isDirectory() && isAncestor(source, newParent)) {
      throw new ErrnoException(Errno.EINVAL, "cannot move /" + source.path() + " into itself");
    }
    if (target != null && isAncestor(target, parent)) {
      throw new ErrnoException(exchange ? Errno.EINVAL : Errno.ENOTEMPTY,
          "/" + target.path() + " is an ancestor of /" + source.path());
    }
    if (source == target || (target != null && source.ino == target.ino)) {
      // rename(2) between two names of one inode does nothing and succeeds.
      return;
    }
    if (target != null && !exchange) {
      if (source.isDirectory() && !target.isDirectory()) {
        throw new ErrnoException(Errno.ENOTDIR, "/" + target.path());
      }
      if (!source.isDirectory() && target.isDirectory()) {
        throw new ErrnoException(Errno.EISDIR, "/" + target.path());
      }
    }
    if ((flags & HostDir.RENAME_WHITEOUT) != 0) {
      // ovl_rename takes RENAME_NOREPLACE and RENAME_EXCHANGE only.
      throw new ErrnoException(Errno.EINVAL, "overlayfs has no RENAME_WHITEOUT");
    }
    if (target != null && !exchange && target.isDirectory()) {
      checkEmpty(target);
    }
    stack.checkWritable(source.path());
    if (source.isDirectory() && source.hasLowers() && !stack.options.redirectDir()) {
      throw new ErrnoException(Errno.EXDEV, "/" + source.path() + " is a lower directory (redirect_dir is off)");
    }
    copyUp.copyUpLocked(parent, false);
    copyUp.copyUpLocked(newParent, false);
    prepareToMove(source);
    if (exchange) {
      prepareToMove(target);
    }
    boolean sourceLower = lowerHolds(parent, name);
    boolean targetLower = lowerHolds(newParent, newName);
    String from = source.path();
    String to = newParent.childPath(newName);
    if (exchange) {
      stack.upper.path(from).rename(stack.upper.path(to), HostDir.RENAME_EXCHANGE);
      markOpaqueIfExposed(source, targetLower, to);
      markOpaqueIfExposed(target, sourceLower, from);
      swap(parent, name, newParent, newName, source, target);
      return;
    }
    int replace = HostDir.RENAME_NOREPLACE;
    if (target != null) {
      dropLink(target);
      if (target.upper) {
        pin(target);
        HostPath old = stack.upper.path(to);
        if (target.isDirectory() && old.list().isEmpty()) {
          // Renamed over, as the kernel's overlay does when the host directory holds nothing
          // to clear: a descriptor of it then shows the host's size of a replaced directory,
          // not that of a removed one.
          stack.inodes.forget(new InodeTable.UpperKey(old.stat().ino()));
          replace = 0;
        } else {
          deleteTree(old);
        }
      }
      detach(newParent, target);
      target.removed = true;
    }
    stack.upper.removeWhiteout(to);
    stack.upper.path(from).rename(stack.upper.path(to), replace);
    markOpaqueIfExposed(source, targetLower, to);
    if (sourceLower) {
      stack.upper.whiteout(from);
    }
    parent.removeChild(name);
    source.parent = newParent;
    source.name = newName;
    newParent.putChild(newName, source);
  }

  /**
   * Makes an entry self-describing before it moves: copied up, and if its lower content lives
   * at its old path (a directory's merged layers, a metacopy file's data), a redirect to it.
   */
  private void prepareToMove(Node node) throws IOException {
    copyUp.copyUpLocked(node, false);
    if ((node.isDirectory() && node.hasLowers()) || node.metacopy) {
      if (stack.upper.redirect(node.path()) == null || !stack.upper.redirect(node.path()).startsWith("/")) {
        stack.upper.setRedirect(stack.upper.path(node.path()), lookup.redirectOf(node));
      }
    }
  }

  /**
   * A directory of the upper alone that lands on a name the lowers hold must hide them:
   * otherwise the old lower directory's content would show through it.
   */
  private void markOpaqueIfExposed(Node moved, boolean lowerHoldsDestination, String destination) throws IOException {
    if (moved.isDirectory() && !moved.hasLowers() && lowerHoldsDestination && !stack.upper.isOpaque(destination)) {
      stack.upper.setOpaque(destination);
    }
  }

  private static void swap(Node parent, String name, Node newParent, String newName, Node source, Node target) {
    parent.putChild(name, target);
    newParent.putChild(newName, source);
    target.parent = parent;
    target.name = name;
    source.parent = newParent;
    source.name = newName;
  }

  private Node existing(Node parent, String name) throws IOException {
    checkDir(parent);
    Lookup.checkName(name);
    Node node = lookup.lookup(parent, name);
    if (node == null) {
      throw new ErrnoException(Errno.ENOENT, "/" + parent.childPath(name));
    }
    return node;
  }

  private static void checkDir(Node node) throws ErrnoException {
    if (!node.isDirectory()) {
      throw new ErrnoException(Errno.ENOTDIR, "/" + node.path());
    }
  }

  private void checkEmpty(Node dir) throws IOException {
    if (MergedDir.list(stack, lookup, dir).size() > 2) {
      throw new ErrnoException(Errno.ENOTEMPTY, "/" + dir.path());
    }
  }

  private static boolean isAncestor(Node maybeAncestor, Node node) {
    for (Node n = node; n != null; n = n.parent) {
      if (n == maybeAncestor) {
        return true;
      }
    }
    return false;
  }

  /** Whether a lower layer shows something at {@code name} in {@code parent}. */
  private boolean lowerHolds(Node parent, String name) throws IOException {
    String redirectFree = null;
    for (LowerRef dir : parent.lowers) {
      LowerEntry e = stack.lowers.get(dir.layer()).stat(Lookup.lowerPath(dir.path(), name, redirectFree));
      if (e != null) {
        return e.type() != FileType.WHITEOUT;
      }
    }
    return false;
  }

  /** Forgets a removed name; the node lives on for open handles and pending forgets. */
  private static void detach(Node parent, Node node) {
    parent.removeChild(node.name, node);
  }

  private void deleteTree(HostPath path) throws IOException {
    Stat a = path.stat();
    if (a == null) {
      return;
    }
    if (a.isDirectory()) {
      // An upper directory the union shows as empty still holds whiteouts and markers.
      for (HostDir.Entry c : path.list()) {
        deleteTree(path.resolve(c.name()));
      }
      path.rmdir();
    } else {
      path.unlink();
    }
    if (a.isDirectory() || a.nlink() <= 1) {
      // The host may give this inode number to the next new file: it must not inherit ours.
      stack.inodes.forget(new InodeTable.UpperKey(a.ino()));
    }
  }
}
