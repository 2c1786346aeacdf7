package dev.strata.fuse.kernel;

import static dev.strata.fuse.kernel.Protocol.*;

import dev.strata.fuse.kernel.Protocol.Timeout;
import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.FsStats;
import dev.strata.host.HostDir;
import dev.strata.host.HostFile;
import dev.strata.host.Names;
import dev.strata.union.Attr;
import dev.strata.union.Ctx;
import dev.strata.union.DirEntry;
import dev.strata.union.SetAttr;
import dev.strata.union.UnionFs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Turns each request into one engine call (a few for the names a rename or unlink removes) and
 * its answer into a reply. Shared by all reading threads; the engine is thread-safe and this
 * class keeps no per-request state.
 *
 * <p>Nothing escapes {@link #handle}: every failure becomes an error reply, so one bad request
 * never ends the loop. Errors the kernel's overlay would answer too are not logged.
 */
final class Dispatcher {
  private static final System.Logger LOG = System.getLogger(Dispatcher.class.getName());

  private static final int O_CREAT = 0100;
  private static final int O_EXCL = 0200;
  private static final int O_TRUNC = 01000;
  private static final int S_ISUID = 04000;
  private static final int S_ISGID = 02000;
  private static final int S_IXGRP = 00010;
  private static final int EPROTO = 71;

  private final UnionFs fs;
  private final NodeTable nodes;
  private final KernelMountOptions options;
  private final Passthrough passthrough;
  private final Timeout entryTimeout;
  private final Timeout attrTimeout;
  private final Timeout negativeTimeout;
  private final CountDownLatch initialized = new CountDownLatch(1);
  private final ConcurrentHashMap<Long, OpenDir> dirs = new ConcurrentHashMap<>();
  private final AtomicLong nextDir = new AtomicLong(1);
  private volatile boolean destroyed;
  private volatile int maxWrite;
  private volatile String initFailure;

  Dispatcher(UnionFs fs, KernelMountOptions options, Passthrough passthrough) throws IOException {
    this.fs = fs;
    this.nodes = new NodeTable(fs);
    this.options = options;
    this.passthrough = passthrough;
    this.entryTimeout = Timeout.of(options.entryTimeout());
    this.attrTimeout = Timeout.of(options.attrTimeout());
    this.negativeTimeout = Timeout.of(options.negativeTimeout());
  }

  CountDownLatch initialized() {
    return initialized;
  }

  /** Whether the kernel said goodbye (DESTROY): the readers stop. */
  boolean destroyed() {
    return destroyed;
  }

  NodeTable nodes() {
    return nodes;
  }

  Passthrough passthrough() {
    return passthrough;
  }

  /** Handles one request; returns the length of the reply to write, or 0 for none. */
  int handle(Request rq, Reply rp) {
    rp.start(rq.unique);
    try {
      return dispatch(rq, rp);
    } catch (Throwable e) {
      int errno = errno(e, rq);
      if (rq.opcode == FORGET || rq.opcode == BATCH_FORGET || rq.opcode == INTERRUPT) {
        return 0; // these are never answered, not even with an error
      }
      rp.start(rq.unique);
      return rp.error(errno);
    }
  }

  private int dispatch(Request rq, Reply rp) throws IOException {
    ByteBuffer out = rp.body();
    switch (rq.opcode) {
      case INIT:
        return init(rq, rp);
      case LOOKUP:
        return lookup(rq, rp);
      case FORGET:
        nodes.forget(rq.nodeid, rq.u64());
        return 0;
      case BATCH_FORGET: {
        int count = rq.u32();
        rq.u32();
        for (int i = 0; i < count; i++) {
          long id = rq.u64();
          nodes.forget(id, rq.u64());
        }
        return 0;
      }
      case GETATTR:
        putAttrOut(out, attrTimeout, nodes.getattr(rq.nodeid));
        return rp.ok();
      case SETATTR:
        return setattr(rq, rp);
      case READLINK:
        out.put(Names.encode(fs.readlink(nodes.engine(rq.nodeid))));
        return rp.ok();
      case SYMLINK: {
        String name = rq.string();
        String target = rq.string();
        return entry(rp, fs.symlink(nodes.engine(rq.nodeid), name, target, ctx(rq)));
      }
      case MKNOD: {
        int mode = rq.u32();
        int rdev = rq.u32();
        rq.skip(8); // umask (applied by the kernel: no FUSE_DONT_MASK), padding
        String name = rq.string();
        return entry(rp, fs.mknod(nodes.engine(rq.nodeid), name, mode, devMajor(rdev), devMinor(rdev), ctx(rq)));
      }
      case MKDIR: {
        int mode = rq.u32();
        rq.skip(4); // umask
        String name = rq.string();
        return entry(rp, fs.mkdir(nodes.engine(rq.nodeid), name, mode, ctx(rq)));
      }
      case UNLINK: {
        long parent = nodes.engine(rq.nodeid);
        String name = rq.string();
        removeName(parent, name, () -> fs.unlink(parent, name));
        return rp.ok();
      }
      case RMDIR: {
        long parent = nodes.engine(rq.nodeid);
        String name = rq.string();
        removeName(parent, name, () -> fs.rmdir(parent, name));
        return rp.ok();
      }
      case RENAME:
      case RENAME2:
        return rename(rq, rp);
      case LINK: {
        long existing = nodes.engine(rq.u64());
        String name = rq.string();
        return entry(rp, fs.link(existing, nodes.engine(rq.nodeid), name));
      }
      case OPEN: {
        int flags = rq.u32();
        long fh = fs.open(nodes.engine(rq.nodeid), flags);
        putOpened(out, rq.nodeid, fh, flags);
        return rp.ok();
      }
      case READ:
        return read(rq, rp);
      case WRITE:
        return write(rq, rp);
      case STATFS:
        return statfs(rp);
      case RELEASE: {
        long fh = rq.u64();
        passthrough.released(fh);
        fs.release(fh);
        return rp.ok();
      }
      case FSYNC: {
        if (!fs.syncs()) {
          // ENOSYS once and the kernel itself answers every later fsync of this mount with
          // success: under volatile or fsync=0 (a build's scratch union) dpkg's fsync per
          // file costs no round trip.
          return rp.error(Errno.ENOSYS.number());
        }
        long fh = rq.u64();
        fs.fsync(fh, (rq.u32() & FSYNC_FDATASYNC) != 0);
        return rp.ok();
      }
      case FLUSH:
        // Writes reach the upper file as they come: close has nothing to push.
        return rp.ok();
      case FSYNCDIR:
        // The engine makes directory changes with renames as they happen: nothing to push.
        // ENOSYS rather than success, so that the kernel answers later ones itself.
        return rp.error(Errno.ENOSYS.number());
      case OPENDIR: {
        // The kernel may keep listings in its page cache and reuse them across opens: it drops
        // a directory's cached listing whenever a change through this mount touches the
        // directory, and no change comes any other way. A listing served from that cache
        // sends no READDIR, so the engine's listing is made at the first READDIR, not here.
        nodes.engine(rq.nodeid);
        long dh = nextDir.getAndIncrement();
        dirs.put(dh, new OpenDir(rq.nodeid));
        putOpenOut(out, dh, FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE);
        return rp.ok();
      }
      case READDIR:
        return readdir(rq, rp, false);
      case READDIRPLUS:
        return readdir(rq, rp, true);
      case RELEASEDIR: {
        OpenDir d = dirs.remove(rq.u64());
        if (d != null && d.engineHandle != 0) {
          fs.releasedir(d.engineHandle);
        }
        return rp.ok();
      }
      case SETXATTR:
        return setxattr(rq, rp);
      case GETXATTR: {
        int size = rq.u32();
        rq.u32();
        String name = rq.string();
        return sized(rp, size, fs.getxattr(nodes.engine(rq.nodeid), name));
      }
      case LISTXATTR: {
        int size = rq.u32();
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        for (String n : fs.listxattr(nodes.engine(rq.nodeid))) {
          list.writeBytes(Names.encode(n));
          list.write(0);
        }
        return sized(rp, size, list.toByteArray());
      }
      case REMOVEXATTR:
        fs.removexattr(nodes.engine(rq.nodeid), rq.string());
        return rp.ok();
      case ACCESS:
        // With default_permissions the kernel checks modes itself; this says the node exists.
        nodes.engine(rq.nodeid);
        return rp.ok();
      case CREATE:
        return create(rq, rp);
      case INTERRUPT:
        return 0; // each request is answered quickly; nothing to cut short
      case DESTROY:
        destroyed = true;
        return rp.ok();
      default:
        return rp.error(Errno.ENOSYS.number());
    }
  }

  private int init(Request rq, Reply rp) {
    int major = rq.u32();
    int minor = rq.u32();
    int maxReadahead = rq.u32();
    int offered = rq.u32();
    // fuse_init_in has flags2 since 7.36, where the kernel sets INIT_EXT.
    int offered2 = (offered & INIT_EXT) != 0 && rq.remaining() >= 4 ? rq.u32() : 0;
    ByteBuffer out = rp.body();
    if (major < KERNEL_MAJOR || (major == KERNEL_MAJOR && minor < OLDEST_MINOR)) {
      initFailure = "the kernel speaks FUSE " + major + "." + minor + ", older than 7." + OLDEST_MINOR;
      initialized.countDown();
      return rp.error(EPROTO);
    }
    if (major > KERNEL_MAJOR) {
      // A newer major: answer with ours alone, and the kernel sends INIT again in it.
      out.putInt(KERNEL_MAJOR).putInt(KERNEL_MINOR);
      for (int i = 8; i < INIT_OUT; i += 4) {
        out.putInt(0);
      }
      return rp.ok();
    }
    int want = ASYNC_READ | BIG_WRITES | ATOMIC_O_TRUNC | PARALLEL_DIROPS | MAX_PAGES | CACHE_SYMLINKS;
    if (options.readdirPlus() != KernelMountOptions.ReaddirPlus.OFF) {
      want |= DO_READDIRPLUS;
    }
    if (options.readdirPlus() == KernelMountOptions.ReaddirPlus.AUTO) {
      want |= READDIRPLUS_AUTO;
    }
    if (options.acl()) {
      want |= POSIX_ACL;
    }
    int flags2 = 0;
    if (passthrough.wanted() && (offered2 & PASSTHROUGH_FLAGS2) != 0) {
      want |= INIT_EXT;
      flags2 |= PASSTHROUGH_FLAGS2;
    }
    int flags = want & offered;
    boolean bigPages = (flags & MAX_PAGES) != 0;
    maxWrite = bigPages ? 1 << 20 : 128 << 10;
    out.putInt(KERNEL_MAJOR);
    out.putInt(Math.min(minor, KERNEL_MINOR));
    out.putInt(maxReadahead);
    out.putInt(flags);
    out.putShort((short) 16); // max_background: readahead and async reads in flight
    out.putShort((short) 12); // congestion_threshold
    out.putInt(maxWrite);
    out.putInt(1); // time_gran: nanosecond timestamps
    out.putShort((short) (bigPages ? 256 : 0)); // max_pages: 1 MiB requests
    out.putShort((short) 0); // map_alignment
    out.putInt(flags2);
    out.putInt(flags2 != 0 ? Passthrough.MAX_STACK_DEPTH : 0);
    for (int i = 0; i < 6; i++) {
      out.putInt(0); // request_timeout (none) and unused
    }
    if (flags2 != 0) {
      passthrough.agreed();
    }
    initialized.countDown();
    return rp.ok();
  }

  /** Why INIT was refused, or null if it was not (or has not come yet). */
  String initFailure() {
    return initFailure;
  }

  /** The largest WRITE the kernel will send, agreed at INIT. */
  int maxWrite() {
    return maxWrite;
  }

  private int lookup(Request rq, Reply rp) throws IOException {
    long parent = nodes.engine(rq.nodeid);
    String name = rq.string();
    long e;
    try {
      e = fs.lookup(parent, name);
    } catch (ErrnoException ex) {
      if (ex.errno() != Errno.ENOENT || negativeTimeout.equals(Timeout.NONE)) {
        throw ex;
      }
      // Node id 0 with a timeout: the kernel keeps the absence of the name as long.
      putEntryOut(rp.body(), 0, negativeTimeout, Timeout.NONE, null);
      return rp.ok();
    }
    return entry(rp, e);
  }

  /** Replies fuse_entry_out for engine node {@code e}, whose one lookup the engine counted. */
  private int entry(Reply rp, long e) throws IOException {
    Known k = register(e);
    putEntryOut(rp.body(), k.nodeid(), entryTimeout, attrTimeout, k.attr());
    return rp.ok();
  }

  /** A node the kernel is being told of: its node id and attributes. */
  private record Known(long nodeid, Attr attr) {}

  /**
   * Records engine node {@code e} (one lookup counted) for the kernel. Gives the lookup back
   * if its attributes cannot be had, since the kernel will then never hear of it.
   */
  private Known register(long e) throws IOException {
    Attr a;
    try {
      a = fs.getattr(e);
    } catch (IOException | RuntimeException ex) {
      fs.forget(e, 1);
      throw ex;
    }
    return new Known(nodes.add(e, a), a);
  }

  private interface Removal {
    void run() throws IOException;
  }

  /**
   * Runs an unlink or rmdir and marks the engine node that had the name as removed. The node is
   * looked up first (one lookup, given back after) because the engine does not say which node
   * a name removal detached.
   */
  private void removeName(long parent, String name, Removal removal) throws IOException {
    long victim = lookupOrZero(parent, name);
    try {
      removal.run();
      if (victim != 0) {
        nodes.removed(victim);
      }
    } finally {
      if (victim != 0) {
        fs.forget(victim, 1);
      }
    }
  }

  private long lookupOrZero(long parent, String name) throws IOException {
    try {
      return fs.lookup(parent, name);
    } catch (ErrnoException e) {
      if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
        return 0;
      }
      throw e;
    }
  }

  private int rename(Request rq, Reply rp) throws IOException {
    long newDir = rq.u64();
    int flags = 0;
    if (rq.opcode == RENAME2) {
      flags = rq.u32();
      rq.u32();
    }
    String name = rq.string();
    String newName = rq.string();
    long parent = nodes.engine(rq.nodeid);
    long newParent = nodes.engine(newDir);
    boolean exchange = (flags & HostDir.RENAME_EXCHANGE) != 0;
    long replaced = exchange ? 0 : lookupOrZero(newParent, newName);
    try {
      fs.rename(parent, name, newParent, newName, flags);
      if (replaced != 0) {
        // Renaming onto another name of the same file changes nothing: the name still leads
        // to the node it did. Otherwise the node that had the name has lost it.
        long now = lookupOrZero(newParent, newName);
        if (now != 0) {
          fs.forget(now, 1);
        }
        if (now != replaced) {
          nodes.removed(replaced);
        }
      }
    } finally {
      if (replaced != 0) {
        fs.forget(replaced, 1);
      }
    }
    return rp.ok();
  }

  private int setattr(Request rq, Reply rp) throws IOException {
    int valid = rq.u32();
    rq.u32(); // padding
    rq.u64(); // fh: the engine changes the file by node
    long size = rq.u64();
    rq.u64(); // lock_owner
    long atime = rq.u64();
    long mtime = rq.u64();
    rq.u64(); // ctime: set by the engine's host calls as they change things
    int atimensec = rq.u32();
    int mtimensec = rq.u32();
    rq.u32(); // ctimensec
    int mode = rq.u32();
    rq.u32();
    int uid = rq.u32();
    int gid = rq.u32();

    Integer newMode = (valid & FATTR_MODE) != 0 ? mode & 07777 : null;
    Long newUid = (valid & FATTR_UID) != 0 ? Integer.toUnsignedLong(uid) : null;
    Long newGid = (valid & FATTR_GID) != 0 ? Integer.toUnsignedLong(gid) : null;
    Long newSize = (valid & FATTR_SIZE) != 0 ? size : null;
    long now = nowNanos();
    Long newAtime = (valid & FATTR_ATIME_NOW) != 0 ? (Long) now
        : (valid & FATTR_ATIME) != 0 ? (Long) (atime * 1_000_000_000L + atimensec) : null;
    Long newMtime = (valid & FATTR_MTIME_NOW) != 0 ? (Long) now
        : (valid & FATTR_MTIME) != 0 ? (Long) (mtime * 1_000_000_000L + mtimensec) : null;
    long e = nodes.engine(rq.nodeid);
    if ((valid & FATTR_KILL_SUIDGID) != 0 && newMode == null) {
      // A write or truncate by someone else: set-user-id always goes, set-group-id if the
      // group may execute (otherwise it marks mandatory locking).
      int cur = fs.getattr(e).mode();
      int kill = S_ISUID | ((cur & S_IXGRP) != 0 ? S_ISGID : 0);
      if ((cur & kill) != 0) {
        newMode = cur & 07777 & ~kill;
      }
    }
    // A change of nothing (chown(-1, -1) sends one) still copies up: the kernel's overlay copies
    // up before every attribute change, and a lower file whose name is gone then fails.
    Attr a = fs.setattr(e, new SetAttr(newMode, newUid, newGid, newSize, newAtime, newMtime));
    putAttrOut(rp.body(), attrTimeout, a);
    return rp.ok();
  }

  private static long nowNanos() {
    java.time.Instant t = java.time.Instant.now();
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  private int read(Request rq, Reply rp) throws IOException {
    long fh = rq.u64();
    long offset = rq.u64();
    int size = rq.u32();
    ByteBuffer out = rp.body();
    // The engine reads straight into the reply, after its header: no copy.
    ByteBuffer dst = out.slice(out.position(), Math.min(size, rp.room()));
    int total = 0;
    while (dst.hasRemaining()) {
      int n = fs.read(fh, offset + total, dst);
      if (n <= 0) {
        break;
      }
      total += n;
    }
    out.position(out.position() + total);
    return rp.ok();
  }

  private int write(Request rq, Reply rp) throws IOException {
    long fh = rq.u64();
    long offset = rq.u64();
    int size = rq.u32();
    rq.skip(WRITE_IN - 20); // write_flags, lock_owner, flags, padding
    ByteBuffer src = rq.view(size);
    int total = 0;
    while (src.hasRemaining()) {
      total += fs.write(fh, offset + total, src);
    }
    rp.body().putInt(total).putInt(0);
    return rp.ok();
  }

  private int statfs(Reply rp) throws IOException {
    FsStats s = fs.statfs();
    ByteBuffer out = rp.body();
    out.putLong(s.blocks());
    out.putLong(s.blocksFree());
    out.putLong(s.blocksAvailable());
    out.putLong(s.files());
    out.putLong(s.filesFree());
    out.putInt((int) s.blockSize());
    out.putInt((int) s.nameMax());
    out.putInt((int) s.blockSize()); // frsize
    out.putInt(0);
    for (int i = 0; i < 6; i++) {
      out.putInt(0);
    }
    return rp.ok();
  }

  /**
   * READDIR and READDIRPLUS: entries from the requested offset while they fit in the size the
   * kernel asked for. Each entry of a READDIRPLUS reply but "." and ".." tells the kernel of a
   * node, so each is one engine lookup, taken only once the entry is sure to fit.
   */
  private int readdir(Request rq, Reply rp, boolean plus) throws IOException {
    OpenDir open = dirs.get(rq.u64());
    long offset = rq.u64();
    int size = rq.u32();
    if (open == null) {
      throw new ErrnoException(Errno.EBADF, "no open directory");
    }
    ByteBuffer out = rp.body();
    int limit = out.position() + Math.min(size, rp.room());
    List<DirEntry> entries = fs.readdir(open.engineHandle(), offset);
    long dir = plus ? nodes.engine(rq.nodeid) : 0;
    for (DirEntry d : entries) {
      byte[] name = Names.encode(d.name());
      int type = d.type().direntType();
      if (!plus) {
        if (out.position() + recordSize(DIRENT, name.length) > limit) {
          break;
        }
        putDirent(out, d.ino(), d.offset(), type, name);
        continue;
      }
      if (out.position() + recordSize(DIRENTPLUS, name.length) > limit) {
        break;
      }
      long ino = d.ino();
      boolean dots = d.name().equals(".") || d.name().equals("..");
      long e = dots ? 0 : lookupOrZero(dir, d.name());
      if (e == 0) {
        // Node id 0: the kernel takes the name and type and caches nothing ("." and "..", or a
        // name removed since the listing was taken).
        putEntryOut(out, 0, Timeout.NONE, Timeout.NONE, null);
        int at = out.position() - ATTR;
        out.putLong(at, ino);
        out.putInt(at + 60, d.type().modeBits());
      } else {
        Known k = register(e);
        ino = k.attr().ino();
        putEntryOut(out, k.nodeid(), entryTimeout, attrTimeout, k.attr());
      }
      putDirent(out, ino, d.offset(), type, name);
    }
    return rp.ok();
  }

  /** An open directory: its engine listing is taken at the first READDIR. */
  private final class OpenDir {
    final long nodeid;
    private volatile long engineHandle;

    OpenDir(long nodeid) {
      this.nodeid = nodeid;
    }

    synchronized long engineHandle() throws IOException {
      if (engineHandle == 0) {
        engineHandle = fs.opendir(nodes.engine(nodeid));
      }
      return engineHandle;
    }
  }

  private int setxattr(Request rq, Reply rp) throws IOException {
    int size = rq.u32();
    int flags = rq.u32();
    String name = rq.string();
    ByteBuffer v = rq.view(size);
    byte[] value = new byte[size];
    v.get(value);
    fs.setxattr(nodes.engine(rq.nodeid), name, value, flags);
    return rp.ok();
  }

  /** getxattr and listxattr's protocol: size 0 asks for the length; too small a buffer is ERANGE. */
  private static int sized(Reply rp, int size, byte[] value) throws ErrnoException {
    if (size == 0) {
      rp.body().putInt(value.length).putInt(0);
      return rp.ok();
    }
    if (size < value.length) {
      throw new ErrnoException(Errno.ERANGE, value.length + " bytes do not fit in " + size);
    }
    rp.body().put(value);
    return rp.ok();
  }

  private int create(Request rq, Reply rp) throws IOException {
    int flags = rq.u32();
    int mode = rq.u32();
    rq.skip(8); // umask, open_flags
    String name = rq.string();
    long parent = nodes.engine(rq.nodeid);
    long e;
    long fh;
    try {
      long[] made = fs.create(parent, name, mode, flags, ctx(rq));
      e = made[0];
      fh = made[1];
    } catch (ErrnoException ex) {
      if (ex.errno() != Errno.EEXIST || (flags & O_EXCL) != 0) {
        throw ex;
      }
      // Made by someone else since the kernel looked: open(2) without O_EXCL opens it.
      e = fs.lookup(parent, name);
      try {
        fh = fs.open(e, flags & ~O_CREAT);
      } catch (IOException | RuntimeException oe) {
        fs.forget(e, 1);
        throw oe;
      }
    }
    Known k;
    try {
      k = register(e);
    } catch (IOException | RuntimeException ex) {
      fs.release(fh);
      throw ex;
    }
    ByteBuffer out = rp.body();
    putEntryOut(out, k.nodeid(), entryTimeout, attrTimeout, k.attr());
    putOpened(out, k.nodeid(), fh, flags);
    return rp.ok();
  }

  /**
   * fuse_open_out of engine handle {@code fh}, opened with open(2) {@code flags} for node id
   * {@code nodeid}: with a backing file where {@link Passthrough} gives one, else served here
   * through the page cache. A read-only open is closed without a FLUSH: the server holds no
   * locks, and the kernel writes the pages other opens dirtied back through their own FLUSH or
   * writeback; a package manager's reads of its database were a third of its requests.
   */
  private void putOpened(ByteBuffer out, long nodeid, long fh, int flags) {
    Passthrough.Mode m = passthrough.opened(nodeid, fh);
    int openFlags = (flags & HostFile.O_ACCMODE) == HostFile.O_RDONLY ? m.flags() | FOPEN_NOFLUSH : m.flags();
    putOpenOut(out, fh, openFlags, m.backingId());
  }

  private static Ctx ctx(Request rq) {
    return new Ctx(Integer.toUnsignedLong(rq.uid), Integer.toUnsignedLong(rq.gid));
  }

  /** The errno a failure answers with; logged unless the kernel's overlay would answer it too. */
  private static int errno(Throwable e, Request rq) {
    if (e instanceof IOException io) {
      Errno errno = ErrnoException.errnoOf(io);
      if (errno != Errno.EIO) {
        return errno.number();
      }
    }
    String kind = e instanceof IOException ? "host filesystem error" : "internal error";
    LOG.log(System.Logger.Level.ERROR, kind + " in FUSE opcode " + rq.opcode + " on node " + rq.nodeid + ": " + e, e);
    return (e instanceof OutOfMemoryError ? Errno.ENOMEM : Errno.EIO).number();
  }
}
