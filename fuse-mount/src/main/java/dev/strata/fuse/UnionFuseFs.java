package dev.strata.fuse;

import com.kenai.jffi.MemoryIO;
import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.FsStats;
import dev.strata.host.Names;
import dev.strata.union.Attr;
import dev.strata.union.Ctx;
import dev.strata.union.DirEntry;
import dev.strata.union.SetAttr;
import dev.strata.union.UnionFs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseContext;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The union engine behind libfuse's high-level (path) API, through jnr-fuse. Each callback
 * resolves its path to an engine node and calls the engine once; every failure becomes a
 * negative errno (an exception thrown into native code would be a silent EIO at best).
 *
 * <p>libfuse never tells a path filesystem that the kernel forgot a name, so nodes are held by
 * path ({@link UnionFs#resolve}) and let go when their name goes away. Files are open by
 * engine handle, and with {@code nullpath_ok} reads, writes and fgetattr of a file need no
 * path; a file unlinked or renamed over while open keeps a path of libfuse's own (see
 * {@link HiddenNames}), so that fstat, fchmod, fchown, futimens and f*xattr reach it too.
 * What the path API cannot give: a directory removed while open, and a file whose directory
 * was removed after it, have no path left, and every call on them but read, write and fsync
 * answers ENOENT; an O_PATH descriptor is no open file to libfuse, so its file is not kept.
 */
final class UnionFuseFs extends FuseStubFS {
  private static final System.Logger LOG = System.getLogger(UnionFuseFs.class.getName());

  // utimensat's markers in tv_nsec.
  private static final long UTIME_NOW = (1L << 30) - 1;
  private static final long UTIME_OMIT = (1L << 30) - 2;
  /** chown's "leave unchanged", as the 32-bit id libfuse passes on. */
  private static final long NO_ID = 0xffffffffL;
  /** Bits of libfuse 2's fuse_operations flags word (bit fields, lowest first). */
  private static final int FLAG_NULLPATH_OK = 1;
  private static final int FLAG_UTIME_OMIT_OK = 1 << 2;

  private final UnionFs fs;
  /** Open file handles, to the node each is of: fgetattr and ftruncate get no usable path. */
  private final ConcurrentHashMap<Long, Long> openFiles = new ConcurrentHashMap<>();
  /**
   * Nodes whose name is gone while a file of theirs is open: the hold is let go at the last
   * release, as the kernel forgets an unlinked inode only once its last file is closed.
   */
  private final java.util.Set<Long> goneWhileOpen = new java.util.HashSet<>();
  private final HiddenNames hidden = new HiddenNames();
  /**
   * Whether this thread's last attribute change succeeded: libfuse answers a setattr with the
   * getattr that follows its changes, and takes one link off a hidden file's count in a
   * getattr of its own but not in that one.
   */
  private static final ThreadLocal<Boolean> CHANGED = ThreadLocal.withInitial(() -> false);

  /** Files are created as the caller, as the kernel's overlay creates them. */
  UnionFuseFs(UnionFs fs) {
    this.fs = fs;
    // The flags are C bit fields that jnr-fuse models as padding: set the word directly.
    Struct.getMemory(fuseOperations).putInt(offsetOf(fuseOperations.flag_nullpath_ok),
        FLAG_NULLPATH_OK | FLAG_UTIME_OMIT_OK);
  }

  /** A struct member's offset: jnr-ffi keeps the accessor in a package-private class. */
  private static long offsetOf(Object member) {
    try {
      java.lang.reflect.Method offset = member.getClass().getMethod("offset");
      offset.setAccessible(true);
      return ((Number) offset.invoke(member)).longValue();
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("jnr-ffi without Struct member offsets", e);
    }
  }

  /** The failure as errno, logged unless it is an answer the kernel would give too. */
  private static int errno(Throwable e, String op, String path) {
    if (e instanceof IOException io) {
      Errno errno = ErrnoException.errnoOf(io);
      if (errno != Errno.EIO) {
        return -errno.number();
      }
    }
    String kind = e instanceof IOException ? "host filesystem error" : "internal error";
    LOG.log(System.Logger.Level.ERROR, kind + " in " + op + " " + Names.printable(String.valueOf(path)) + ": " + e, e);
    return -(e instanceof OutOfMemoryError ? Errno.ENOMEM : Errno.EIO).number();
  }

  private interface Call {
    void run() throws Exception;
  }

  /** Runs one callback's work: 0, or the negative errno it failed with. */
  private static int call(String op, String path, Call body) {
    try {
      body.run();
      return 0;
    } catch (Throwable e) {
      return errno(e, op, path);
    }
  }

  /**
   * The name jnr-ffi made of a C string, as {@link Names} carries it. jnr-ffi decodes a string
   * with the JVM's default charset; the server runs with ISO-8859-1 as that charset (one char
   * per byte), so every byte comes through and is read here as the bytes they were. With any
   * other default charset, bytes that charset cannot decode are lost (a path that cannot exist
   * then answers ENOENT).
   */
  static String fromJnr(String jnr) {
    return jnr == null ? null : Names.decode(jnr.getBytes(Charset.defaultCharset()));
  }

  /** A name as jnr-ffi must be given it to pass its bytes on (see {@link #fromJnr}). */
  static String toJnr(String name) {
    return new String(Names.encode(name), Charset.defaultCharset());
  }

  private static String parentOf(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? "/" : path.substring(0, slash);
  }

  private static String nameOf(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  private Ctx caller() {
    FuseContext c = getContext();
    return new Ctx(c.uid.longValue(), c.gid.longValue());
  }

  private long node(String path, FuseFileInfo fi) throws IOException {
    if (fi != null) {
      Long n = openFiles.get(fi.fh.get());
      if (n != null) {
        return n;
      }
    }
    if (path == null) {
      throw new ErrnoException(Errno.EBADF, "no path and no open file");
    }
    return resolve(path);
  }

  /** The node at {@code path}, a hidden name of a removed open file included. */
  private long resolve(String path) throws IOException {
    String name = nameOf(path);
    if (HiddenNames.isHiddenName(name)) {
      Long n = hidden.node(fs.resolve(parentOf(path)), name);
      if (n != null) {
        return n;
      }
    }
    return fs.resolve(path);
  }

  /**
   * Fills in the attributes of {@code node} as libfuse is to pass them on: in a getattr of its
   * own it counts a hidden file's name off the links, so one more is given for it there.
   */
  private void fillShown(FileStat stat, long node) throws IOException {
    boolean afterChange = CHANGED.get();
    CHANGED.set(false);
    Attr a = fs.getattr(node);
    fill(stat, a);
    if (!afterChange && a.nlink() > 0 && hidden.isHidden(node)) {
      stat.st_nlink.set(a.nlink() + 1);
    }
  }

  /** Runs an attribute change, noting for {@link #shown} whether it succeeded. */
  private int change(String op, String path, Call body) {
    CHANGED.set(false);
    int r = call(op, path, body);
    CHANGED.set(r == 0);
    return r;
  }

  // --- attributes --------------------------------------------------------------------------

  @Override
  public int getattr(String jnrPath, FileStat stat) {
    String path = fromJnr(jnrPath);
    return call("getattr", path, () -> {
      fillShown(stat, resolve(path));
    });
  }

  @Override
  public int fgetattr(String jnrPath, FileStat stat, FuseFileInfo fi) {
    String path = fromJnr(jnrPath);
    return call("fgetattr", path, () -> {
      fillShown(stat, node(path, fi));
    });
  }

  private static void fill(FileStat st, Attr a) {
    st.st_ino.set(a.ino());
    st.st_mode.set(a.mode());
    st.st_nlink.set(a.nlink());
    st.st_uid.set(a.uid());
    st.st_gid.set(a.gid());
    st.st_rdev.set(makedev(a.rdevMajor(), a.rdevMinor()));
    st.st_size.set(a.size());
    st.st_blksize.set(4096);
    st.st_blocks.set(a.blocks());
    time(st.st_atim, a.atimeNanos());
    time(st.st_mtim, a.mtimeNanos());
    time(st.st_ctim, a.ctimeNanos());
  }

  private static void time(Timespec t, long nanos) {
    t.tv_sec.set(Math.floorDiv(nanos, 1_000_000_000L));
    t.tv_nsec.set(Math.floorMod(nanos, 1_000_000_000L));
  }

  /** glibc's dev_t encoding. */
  static long makedev(long major, long minor) {
    return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xffL) << 12) | ((major & ~0xfffL) << 32);
  }

  static int major(long dev) {
    return (int) (((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL));
  }

  static int minor(long dev) {
    return (int) ((dev & 0xff) | ((dev >>> 12) & ~0xffL));
  }

  @Override
  public int chmod(String jnrPath, long mode) {
    String path = fromJnr(jnrPath);
    return change("chmod", path, () -> fs.setattr(resolve(path), SetAttr.mode((int) mode & 07777)));
  }

  @Override
  public int chown(String jnrPath, long uid, long gid) {
    String path = fromJnr(jnrPath);
    Long u = (uid & NO_ID) == NO_ID ? null : uid;
    Long g = (gid & NO_ID) == NO_ID ? null : gid;
    if (u == null && g == null) {
      return change("chown", path, () -> resolve(path));
    }
    return change("chown", path, () -> fs.setattr(resolve(path), new SetAttr(null, u, g, null, null, null)));
  }

  @Override
  public int truncate(String jnrPath, long size) {
    String path = fromJnr(jnrPath);
    return change("truncate", path, () -> fs.setattr(resolve(path), SetAttr.size(size)));
  }

  @Override
  public int ftruncate(String jnrPath, long size, FuseFileInfo fi) {
    String path = fromJnr(jnrPath);
    return change("ftruncate", path, () -> fs.setattr(node(path, fi), SetAttr.size(size)));
  }

  @Override
  public int utimens(String jnrPath, Timespec[] timespec) {
    String path = fromJnr(jnrPath);
    return change("utimens", path, () -> {
      long node = resolve(path);
      Long atime = utime(timespec[0]);
      Long mtime = utime(timespec[1]);
      if (atime != null || mtime != null) {
        fs.setattr(node, new SetAttr(null, null, null, null, atime, mtime));
      }
    });
  }

  /** The time a utimensat entry asks for; null for UTIME_OMIT. */
  private static Long utime(Timespec t) {
    long nsec = t.tv_nsec.longValue();
    if (nsec == UTIME_OMIT) {
      return null;
    }
    if (nsec == UTIME_NOW) {
      java.time.Instant now = java.time.Instant.now();
      return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
    return t.tv_sec.get() * 1_000_000_000L + nsec;
  }

  @Override
  public int access(String jnrPath, int mask) {
    String path = fromJnr(jnrPath);
    // default_permissions: the kernel checks modes itself; this answers only whether it exists.
    return call("access", path, () -> resolve(path));
  }

  @Override
  public int readlink(String jnrPath, Pointer buf, long size) {
    String path = fromJnr(jnrPath);
    return call("readlink", path, () -> {
      byte[] target = Names.encode(fs.readlink(resolve(path)));
      int n = (int) Math.min(target.length, size - 1);
      buf.put(0, target, 0, n);
      buf.putByte(n, (byte) 0);
    });
  }

  // --- names -------------------------------------------------------------------------------

  @Override
  public int mknod(String jnrPath, long mode, long rdev) {
    String path = fromJnr(jnrPath);
    return call("mknod", path, () -> fs.holdCounted(
        fs.mknod(fs.resolve(parentOf(path)), nameOf(path), (int) mode, major(rdev), minor(rdev), caller())));
  }

  @Override
  public int mkdir(String jnrPath, long mode) {
    String path = fromJnr(jnrPath);
    return call("mkdir", path, () -> fs.holdCounted(fs.mkdir(fs.resolve(parentOf(path)), nameOf(path), (int) mode, caller())));
  }

  @Override
  public int symlink(String jnrTarget, String jnrPath) {
    String target = fromJnr(jnrTarget);
    String path = fromJnr(jnrPath);
    return call("symlink", path, () -> fs.holdCounted(fs.symlink(fs.resolve(parentOf(path)), nameOf(path), target, caller())));
  }

  @Override
  public int link(String jnrExisting, String jnrPath) {
    String existing = fromJnr(jnrExisting);
    String path = fromJnr(jnrPath);
    return call("link", path, () -> fs.holdCounted(fs.link(resolve(existing), fs.resolve(parentOf(path)), nameOf(path))));
  }

  @Override
  public int unlink(String jnrPath) {
    String path = fromJnr(jnrPath);
    return call("unlink", path, () -> {
      if (HiddenNames.isHiddenName(nameOf(path)) && hidden.drop(fs.resolve(parentOf(path)), nameOf(path))) {
        return; // libfuse lets go of a hidden name at the last close: the union removed it long ago
      }
      long gone = fs.resolve(path);
      fs.unlink(fs.resolve(parentOf(path)), nameOf(path));
      letGo(gone);
    });
  }

  @Override
  public int rmdir(String jnrPath) {
    String path = fromJnr(jnrPath);
    return call("rmdir", path, () -> {
      long gone = fs.resolve(path);
      fs.rmdir(fs.resolve(parentOf(path)), nameOf(path));
      letGo(gone);
    });
  }

  @Override
  public int rename(String jnrOldpath, String jnrNewpath) {
    String oldpath = fromJnr(jnrOldpath);
    String newpath = fromJnr(jnrNewpath);
    return call("rename", oldpath, () -> {
      long replaced = existing(newpath);
      long moved = fs.resolve(oldpath);
      if (replaced == 0 && HiddenNames.isHiddenName(nameOf(newpath)) && openFiles.containsValue(moved)) {
        // libfuse hides a file unlinked or renamed over while open: remove the name as unlink
        // does, and answer the hidden path with the removed node from now on.
        fs.unlink(fs.resolve(parentOf(oldpath)), nameOf(oldpath));
        hidden.hide(fs.resolve(parentOf(newpath)), nameOf(newpath), moved);
        letGo(moved);
        return;
      }
      fs.rename(fs.resolve(parentOf(oldpath)), nameOf(oldpath), fs.resolve(parentOf(newpath)), nameOf(newpath), 0);
      if (replaced != 0 && replaced != moved) {
        letGo(replaced);
      }
    });
  }

  /** Lets go of a node whose name is gone, now or at the last release of its open files. */
  private void letGo(long node) {
    synchronized (goneWhileOpen) {
      if (openFiles.containsValue(node)) {
        goneWhileOpen.add(node);
        return;
      }
    }
    fs.unhold(node);
  }

  /** The node at a path, or 0 if there is none. */
  private long existing(String path) throws IOException {
    try {
      return fs.resolve(path);
    } catch (ErrnoException e) {
      if (e.errno() == Errno.ENOENT) {
        return 0;
      }
      throw e;
    }
  }

  // --- files -------------------------------------------------------------------------------

  @Override
  public int create(String jnrPath, long mode, FuseFileInfo fi) {
    String path = fromJnr(jnrPath);
    return call("create", path, () -> {
      long[] made = fs.create(fs.resolve(parentOf(path)), nameOf(path), (int) mode, fi.flags.get(), caller());
      fs.holdCounted(made[0]);
      openFiles.put(made[1], made[0]);
      fi.fh.set(made[1]);
    });
  }

  @Override
  public int open(String jnrPath, FuseFileInfo fi) {
    String path = fromJnr(jnrPath);
    return call("open", path, () -> {
      long node = resolve(path);
      long handle = fs.open(node, fi.flags.get());
      openFiles.put(handle, node);
      fi.fh.set(handle);
    });
  }

  @Override
  public int read(String jnrPath, Pointer buf, long size, long offset, FuseFileInfo fi) {
    String path = fromJnr(jnrPath);
    try {
      // The engine reads straight into libfuse's buffer: no copy through the Java heap.
      ByteBuffer dst = MemoryIO.getInstance().newDirectByteBuffer(buf.address(), (int) size);
      int total = 0;
      while (dst.hasRemaining()) {
        int n = fs.read(fi.fh.get(), offset + total, dst);
        if (n <= 0) {
          break;
        }
        total += n;
      }
      return total;
    } catch (Throwable e) {
      return errno(e, "read", path);
    }
  }

  @Override
  public int write(String jnrPath, Pointer buf, long size, long offset, FuseFileInfo fi) {
    String path = fromJnr(jnrPath);
    try {
      ByteBuffer src = MemoryIO.getInstance().newDirectByteBuffer(buf.address(), (int) size);
      int total = 0;
      while (src.hasRemaining()) {
        total += fs.write(fi.fh.get(), offset + total, src);
      }
      return total;
    } catch (Throwable e) {
      return errno(e, "write", path);
    }
  }

  @Override
  public int flush(String jnrPath, FuseFileInfo fi) {
    String path = fromJnr(jnrPath);
    return 0; // writes reach the upper file as they come; close has nothing left to push
  }

  @Override
  public int fsync(String jnrPath, int isdatasync, FuseFileInfo fi) {
    String path = fromJnr(jnrPath);
    if (!fs.syncs()) {
      return -Errno.ENOSYS.number(); // the kernel answers this and later fsyncs with success itself
    }
    return call("fsync", path, () -> fs.fsync(fi.fh.get(), isdatasync != 0));
  }

  @Override
  public int release(String jnrPath, FuseFileInfo fi) {
    String path = fromJnr(jnrPath);
    return call("release", path, () -> {
      long handle = fi.fh.get();
      fs.release(handle);
      Long node = openFiles.remove(handle);
      boolean last;
      synchronized (goneWhileOpen) {
        last = node != null && !openFiles.containsValue(node) && goneWhileOpen.remove(node);
      }
      if (last) {
        if (path == null) {
          hidden.dropNode(node); // no path left to unlink: libfuse will not ask
        }
        fs.unhold(node);
      }
    });
  }

  // --- directories -------------------------------------------------------------------------

  @Override
  public int opendir(String jnrPath, FuseFileInfo fi) {
    String path = fromJnr(jnrPath);
    return call("opendir", path, () -> fi.fh.set(fs.opendir(fs.resolve(path))));
  }

  @Override
  public int readdir(String jnrPath, Pointer buf, FuseFillDir filler, long offset, FuseFileInfo fi) {
    String path = fromJnr(jnrPath);
    return call("readdir", path, () -> {
      List<DirEntry> entries = fs.readdir(fi.fh.get(), offset);
      FileStat st = new FileStat(jnr.ffi.Runtime.getSystemRuntime());
      for (DirEntry e : entries) {
        // use_ino: libfuse passes this st_ino on as d_ino, so d_ino equals st_ino.
        st.st_ino.set(e.ino());
        st.st_mode.set(e.type().modeBits());
        if (filler.apply(buf, toJnr(e.name()), st, e.offset()) != 0) {
          break; // the reply is full; the kernel asks again from this offset
        }
      }
    });
  }

  @Override
  public int releasedir(String jnrPath, FuseFileInfo fi) {
    String path = fromJnr(jnrPath);
    fs.releasedir(fi.fh.get());
    return 0;
  }

  @Override
  public int fsyncdir(String jnrPath, FuseFileInfo fi) {
    String path = fromJnr(jnrPath);
    // directory changes are made durable by the engine's renames as they happen; ENOSYS, and
    // the kernel answers this and later fsyncs of directories with success itself
    return -Errno.ENOSYS.number();
  }

  // --- extended attributes -----------------------------------------------------------------

  @Override
  public int setxattr(String jnrPath, String jnrName, Pointer value, long size, int flags) {
    String path = fromJnr(jnrPath);
    String name = fromJnr(jnrName);
    return call("setxattr", path, () -> {
      byte[] bytes = new byte[(int) size];
      value.get(0, bytes, 0, bytes.length);
      fs.setxattr(resolve(path), name, bytes, flags);
    });
  }

  @Override
  public int getxattr(String jnrPath, String jnrName, Pointer value, long size) {
    String path = fromJnr(jnrPath);
    String name = fromJnr(jnrName);
    try {
      byte[] bytes = fs.getxattr(resolve(path), name);
      return copyOut(bytes, value, size);
    } catch (Throwable e) {
      return errno(e, "getxattr", path);
    }
  }

  @Override
  public int listxattr(String jnrPath, Pointer list, long size) {
    String path = fromJnr(jnrPath);
    try {
      java.io.ByteArrayOutputStream names = new java.io.ByteArrayOutputStream();
      for (String n : fs.listxattr(resolve(path))) {
        names.writeBytes(Names.encode(n));
        names.write(0);
      }
      return copyOut(names.toByteArray(), list, size);
    } catch (Throwable e) {
      return errno(e, "listxattr", path);
    }
  }

  /** The xattr calls' protocol: size 0 asks for the length; a short buffer is ERANGE. */
  private static int copyOut(byte[] bytes, Pointer dst, long size) {
    if (size == 0) {
      return bytes.length;
    }
    if (size < bytes.length) {
      return -Errno.ERANGE.number();
    }
    dst.put(0, bytes, 0, bytes.length);
    return bytes.length;
  }

  @Override
  public int removexattr(String jnrPath, String jnrName) {
    String path = fromJnr(jnrPath);
    String name = fromJnr(jnrName);
    return call("removexattr", path, () -> fs.removexattr(resolve(path), name));
  }

  // --- the filesystem ----------------------------------------------------------------------

  @Override
  public int statfs(String jnrPath, Statvfs st) {
    String path = fromJnr(jnrPath);
    return call("statfs", path, () -> {
      FsStats s = fs.statfs();
      st.f_bsize.set(s.blockSize());
      st.f_frsize.set(s.blockSize());
      st.f_blocks.set(s.blocks());
      st.f_bfree.set(s.blocksFree());
      st.f_bavail.set(s.blocksAvailable());
      st.f_files.set(s.files());
      st.f_ffree.set(s.filesFree());
      st.f_favail.set(s.filesFree());
      st.f_namemax.set(s.nameMax());
    });
  }
}
