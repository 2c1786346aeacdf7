package dev.strata.union;

import com.google.common.collect.ImmutableList;
import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.FsStats;
import dev.strata.host.HostDir;
import dev.strata.host.HostFile;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A union of lower layers and an upper directory (overlayfs super.c), operated on by node ids
 * as the FUSE low-level protocol does: {@code lookup(parent, name)} gives a node, every other
 * operation takes nodes. {@link #ROOT} is the root. Thread-safe.
 *
 * <p>Errors are {@link ErrnoException}s carrying the errno the kernel's overlay would answer.
 */
public final class UnionFs implements Closeable {
  /** The node id of the root directory. */
  public static final long ROOT = InodeTable.ROOT_ID;
  /** setxattr flags, as Linux numbers them. */
  public static final int XATTR_CREATE = 1;
  public static final int XATTR_REPLACE = 2;

  private final Stack stack;
  private final Lookup lookup;
  private final CopyUp copyUp;
  private final DirOps dirOps;
  private final InodeOps inodeOps;
  private final FileOps fileOps;
  private final CallerIds ids;
  private final ConcurrentHashMap<Long, ImmutableList<DirEntry>> openDirs = new ConcurrentHashMap<>();
  private final AtomicLong nextDirHandle = new AtomicLong(1);

  private UnionFs(Stack stack) {
    this.stack = stack;
    this.lookup = new Lookup(stack);
    this.copyUp = new CopyUp(stack);
    this.inodeOps = new InodeOps(stack, copyUp);
    this.dirOps = new DirOps(stack, lookup, copyUp, inodeOps);
    this.fileOps = new FileOps(stack, copyUp);
    this.ids = new CallerIds(stack.options);
  }

  /**
   * Opens a union of {@code lowers} (top first) and, unless {@code upper} is null (read-only),
   * the upper directory {@code upper} with its work directory {@code work} (same filesystem).
   */
  public static UnionFs open(List<LowerLayer> lowers, Path upper, Path work, UnionOptions options) throws IOException {
    UpperDir upperDir = null;
    if (upper != null) {
      if (!Files.isDirectory(upper)) {
        throw new ErrnoException(Errno.ENOTDIR, "upper directory " + upper + " does not exist");
      }
      upperDir = new UpperDir(upper, work, options.privileges());
    }
    UnionFs fs = new UnionFs(new Stack(ImmutableList.copyOf(lowers), upperDir, options));
    Lookup.Resolved root = fs.lookup.root();
    if (root.lowers().isEmpty() && !root.upper()) {
      if (upperDir != null) {
        upperDir.close();
      }
      throw new ErrnoException(Errno.EINVAL, "a union needs at least one layer");
    }
    fs.stack.inodes.nextId();
    Node node = new Node(ROOT, fs.stack.inodes.ino(Lookup.key(root)),
        FileType.DIRECTORY, null, "", root.upper(), root.lowers());
    node.lookups = 1;
    fs.stack.inodes.register(node);
    return fs;
  }

  /** Returns the node id of {@code name} in {@code parent}, counting one lookup. */
  public long lookup(long parent, String name) throws IOException {
    stack.namespace.readLock().lock();
    try {
      Node p = stack.node(parent);
      Node n;
      synchronized (p) {
        n = lookup.lookup(p, name);
      }
      if (n == null) {
        throw new ErrnoException(Errno.ENOENT, "/" + p.childPath(name));
      }
      synchronized (n) {
        n.lookups++;
      }
      return n.id;
    } finally {
      stack.namespace.readLock().unlock();
    }
  }

  /**
   * Returns the node at {@code path} ({@code "/"} or {@code "/a/b"}), for a path-based binding
   * (libfuse's high-level API), which is never told when the kernel forgets a name. Instead of
   * one lookup per walk, each node a walk reaches holds one lookup however often it is walked;
   * {@link #unhold} lets go once its name is gone. Walks of cached names take no lock but the
   * shared namespace lock and the parents' monitors, as {@link #lookup} does.
   */
  public long resolve(String path) throws IOException {
    stack.namespace.readLock().lock();
    try {
      Node n = stack.node(ROOT);
      int start = path.startsWith("/") ? 1 : 0;
      while (start < path.length()) {
        int slash = path.indexOf('/', start);
        int end = slash < 0 ? path.length() : slash;
        if (end > start) {
          String name = path.substring(start, end);
          Node p = n;
          synchronized (p) {
            n = lookup.lookup(p, name);
          }
          if (n == null) {
            throw new ErrnoException(Errno.ENOENT, "/" + p.childPath(name));
          }
          hold(n);
        }
        start = end + 1;
      }
      return n.id;
    } finally {
      stack.namespace.readLock().unlock();
    }
  }

  private static void hold(Node n) {
    synchronized (n) {
      if (!n.pathHeld) {
        n.pathHeld = true;
        n.lookups++;
      }
    }
  }

  /**
   * Turns the lookup a create counted ({@link #mknod}, {@link #mkdir}, {@link #symlink},
   * {@link #link}, {@link #create}) into the path hold of {@link #resolve}, for path bindings.
   */
  public void holdCounted(long node) throws ErrnoException {
    stack.namespace.readLock().lock(); // forget changes counts under the write lock
    try {
      Node n = stack.node(node);
      synchronized (n) {
        if (n.pathHeld) {
          n.lookups--; // held already: the count of the create is one too many
        } else {
          n.pathHeld = true;
        }
      }
    } finally {
      stack.namespace.readLock().unlock();
    }
  }

  /** Lets go of the path hold on a node whose name was removed or replaced by a rename. */
  public void unhold(long node) {
    Node n = stack.inodes.get(node);
    if (n == null) {
      return;
    }
    synchronized (n) {
      if (!n.pathHeld) {
        return;
      }
      n.pathHeld = false;
    }
    forget(node, 1);
  }

  /** The kernel forgot {@code count} lookups of {@code node}. */
  public void forget(long node, long count) {
    stack.namespace.writeLock().lock();
    try {
      Node n = stack.inodes.get(node);
      if (n == null || n.id == ROOT) {
        return;
      }
      n.lookups -= count;
      if (n.lookups <= 0 && !n.hasChildren()) {
        stack.inodes.remove(n);
        if (n.parent != null) {
          n.parent.removeChild(n.name, n);
        }
        if (n.pin != null) {
          n.pin.close(); // a removed file the kernel no longer holds: now it may go
          n.pin = null;
        }
      }
    } finally {
      stack.namespace.writeLock().unlock();
    }
  }

  /** The attributes of {@code node} as callers see them ({@link #shown}). */
  public Attr getattr(long node) throws IOException {
    stack.namespace.readLock().lock();
    try {
      return shown(inodeOps.getattr(stack.node(node)));
    } finally {
      stack.namespace.readLock().unlock();
    }
  }

  /** Changes {@code node}; an owner given is taken through the options' id maps, as is the one answered. */
  public Attr setattr(long node, SetAttr change) throws IOException {
    return shown(inodeOps.setattr(node(node), ids.stored(change)));
  }

  /**
   * {@code a} as callers see it: its owner through the options' id maps and squash, and one
   * link for a directory under static_nlink. Only here: the engine and the commit keep the
   * stored owner and the real count.
   */
  private Attr shown(Attr a) {
    Attr out = ids.shown(a);
    return stack.options.staticNlink() && out.type() == FileType.DIRECTORY ? out.withNlink(1) : out;
  }

  public String readlink(long node) throws IOException {
    stack.namespace.readLock().lock();
    try {
      return inodeOps.readlink(stack.node(node));
    } finally {
      stack.namespace.readLock().unlock();
    }
  }

  /**
   * Creates a file of the type in {@code mode} (regular, directory, fifo, socket, device), owned
   * by {@code ctx} taken through the options' id maps (as for every create below).
   */
  public long mknod(long parent, String name, int mode, int rdevMajor, int rdevMinor, Ctx ctx) throws IOException {
    Ctx owner = ids.stored(ctx);
    return withWriteLock(() -> counted(dirOps.create(stack.node(parent), name, mode, rdevMajor, rdevMinor, owner)));
  }

  public long mkdir(long parent, String name, int mode, Ctx ctx) throws IOException {
    return mknod(parent, name, FileType.DIRECTORY.modeBits() | (mode & 07777), 0, 0, ctx);
  }

  public long symlink(long parent, String name, String target, Ctx ctx) throws IOException {
    Ctx owner = ids.stored(ctx);
    return withWriteLock(() -> counted(dirOps.symlink(stack.node(parent), name, target, owner)));
  }

  public long link(long node, long newParent, String newName) throws IOException {
    // A link of a lower file copies its data up: outside the exclusive lock, as an open for
    // writing does, once linkat's own checks have passed.
    Node n = node(node);
    stack.namespace.readLock().lock();
    try {
      Node p = stack.node(newParent);
      synchronized (p) {
        dirOps.checkLink(n, p, newName);
      }
    } finally {
      stack.namespace.readLock().unlock();
    }
    copyUp.copyUp(n, true);
    return withWriteLock(() -> counted(dirOps.link(stack.node(node), stack.node(newParent), newName)));
  }

  public void unlink(long parent, String name) throws IOException {
    withWriteLock(() -> {
      dirOps.unlink(stack.node(parent), name);
      return 0L;
    });
  }

  public void rmdir(long parent, String name) throws IOException {
    withWriteLock(() -> {
      dirOps.rmdir(stack.node(parent), name);
      return 0L;
    });
  }

  /** renameat2, flags from {@link HostDir#RENAME_NOREPLACE} and its siblings. */
  public void rename(long parent, String name, long newParent, String newName, int flags) throws IOException {
    withWriteLock(() -> {
      dirOps.rename(stack.node(parent), name, stack.node(newParent), newName, flags);
      return 0L;
    });
  }

  /** Opens a regular file with open(2) flags; returns a handle. */
  public long open(long node, int flags) throws IOException {
    return fileOps.open(node(node), flags);
  }

  /** Creates and opens a regular file. */
  public long[] create(long parent, String name, int mode, int flags, Ctx ctx) throws IOException {
    long id = mknod(parent, name, FileType.REGULAR.modeBits() | (mode & 07777), 0, 0, ctx);
    return new long[] {id, fileOps.open(node(id), flags & ~FileOps.O_TRUNC)};
  }

  public int read(long handle, long offset, ByteBuffer dst) throws IOException {
    return fileOps.read(handle, offset, dst);
  }

  public int write(long handle, long offset, ByteBuffer src) throws IOException {
    return fileOps.write(handle, offset, src);
  }

  /**
   * The host file that holds all of open file {@code handle}'s bytes for as long as it is open,
   * or null: a file a transport may have the kernel read and write directly (FUSE passthrough)
   * with the union's semantics kept. Null where no one host file holds them (a lower file in a
   * pack, a metadata-only copy) and for a lower file of a writable union, which another
   * descriptor's write could copy up while this one is open.
   */
  public HostFile hostFile(long handle) throws IOException {
    return fileOps.hostFile(handle);
  }

  /**
   * Whether fsync(2) reaches the upper's disk; false under volatile and fsync=0, where a
   * transport may tell the kernel once that fsync is not implemented (the kernel then answers
   * every later fsync with success itself, with no round trip).
   */
  public boolean syncs() {
    return stack.options.fsync();
  }

  /** fsync(2) of an open file: at once, with nothing written, when the options say no fsync (volatile). */
  public void fsync(long handle, boolean dataOnly) throws IOException {
    if (syncs()) {
      fileOps.fsync(handle, dataOnly);
    }
  }

  public void release(long handle) throws IOException {
    fileOps.release(handle);
  }

  /** Opens a directory: a snapshot of its merged listing, read by offset. */
  public long opendir(long node) throws IOException {
    stack.namespace.readLock().lock();
    try {
      Node n = stack.node(node);
      ImmutableList<DirEntry> entries;
      synchronized (n) {
        entries = MergedDir.list(stack, lookup, n);
      }
      long h = nextDirHandle.getAndIncrement();
      openDirs.put(h, entries);
      return h;
    } finally {
      stack.namespace.readLock().unlock();
    }
  }

  /** Returns the entries after {@code offset} (0: from the start). */
  public List<DirEntry> readdir(long dirHandle, long offset) throws ErrnoException {
    ImmutableList<DirEntry> entries = openDirs.get(dirHandle);
    if (entries == null) {
      throw new ErrnoException(Errno.EBADF, "no open directory " + dirHandle);
    }
    return entries.subList((int) Math.min(offset, entries.size()), entries.size());
  }

  public void releasedir(long dirHandle) {
    openDirs.remove(dirHandle);
  }

  public byte[] getxattr(long node, String name) throws IOException {
    checkXattrs();
    stack.namespace.readLock().lock();
    try {
      return inodeOps.getxattr(stack.node(node), name);
    } finally {
      stack.namespace.readLock().unlock();
    }
  }

  public List<String> listxattr(long node) throws IOException {
    checkXattrs();
    stack.namespace.readLock().lock();
    try {
      return inodeOps.listxattr(stack.node(node));
    } finally {
      stack.namespace.readLock().unlock();
    }
  }

  public void setxattr(long node, String name, byte[] value) throws IOException {
    setxattr(node, name, value, 0);
  }

  /** setxattr(2): {@code flags} {@link #XATTR_CREATE} (EEXIST if set) or {@link #XATTR_REPLACE} (ENODATA if not). */
  public void setxattr(long node, String name, byte[] value, int flags) throws IOException {
    checkXattrs();
    inodeOps.setxattr(node(node), name, value, flags);
  }

  public void removexattr(long node, String name) throws IOException {
    checkXattrs();
    inodeOps.removexattr(node(node), name);
  }

  /**
   * ENOSYS when the options say no xattrs (noxattrs=1), as fuse-overlayfs answers: the kernel
   * then tells every caller EOPNOTSUPP and sends no more xattr requests of that kind, and reads
   * no POSIX ACL either (an EOPNOTSUPP answered instead would fail its permission checks).
   */
  private void checkXattrs() throws ErrnoException {
    if (!stack.options.xattrs()) {
      throw new ErrnoException(Errno.ENOSYS, "this mount has no extended attributes (noxattrs)");
    }
  }

  /** statfs of the upper's filesystem (of the first lower's when read-only). */
  public FsStats statfs() throws IOException {
    if (stack.upper != null) {
      return stack.upper.statfs();
    }
    try (HostDir lower = HostDir.open(stack.lowers.get(0).hostDirectory())) {
      return lower.statfs();
    }
  }

  /**
   * Hands back the memory of the lower layers' reads that they can have again cheaply (mapped
   * index pages; see {@link LowerLayer#releasePages}): for a mount's server, from time to time.
   */
  public void releasePages() {
    for (LowerLayer l : stack.lowers) {
      l.releasePages();
    }
  }

  /** The shared state, for the changeset writer. */
  Stack stack() {
    return stack;
  }

  @Override
  public void close() throws IOException {
    // Removed files the kernel never forgot (an unmount does not always say): now they go.
    stack.namespace.writeLock().lock();
    try {
      for (Node n : stack.inodes.all()) {
        if (n.pin != null) {
          n.pin.close();
          n.pin = null;
        }
      }
    } finally {
      stack.namespace.writeLock().unlock();
    }
    if (stack.upper != null) {
      stack.upper.close();
    }
    for (LowerLayer l : stack.lowers) {
      l.close();
    }
  }

  private Node node(long id) throws IOException {
    stack.namespace.readLock().lock();
    try {
      return stack.node(id);
    } finally {
      stack.namespace.readLock().unlock();
    }
  }

  private long counted(Node n) {
    n.lookups++;
    return n.id;
  }

  private interface Op {
    long run() throws IOException;
  }

  private long withWriteLock(Op op) throws IOException {
    stack.namespace.writeLock().lock();
    try {
      return op.run();
    } finally {
      stack.namespace.writeLock().unlock();
    }
  }
}
