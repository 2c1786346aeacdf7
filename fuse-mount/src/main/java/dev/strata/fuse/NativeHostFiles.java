package dev.strata.fuse;

import dev.strata.host.Errno;
import dev.strata.union.HostFiles;
import dev.strata.host.ErrnoException;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jnr.constants.platform.OpenFlags;

/**
 * {@link HostFiles} through glibc on Linux: device nodes, xattrs of every namespace, renameat2
 * flags, reflinks. Every call acts on the path itself ({@code l*xattr}, {@code lchown},
 * {@code AT_SYMLINK_NOFOLLOW}, {@code O_NOFOLLOW}). Stateless past construction, so thread-safe;
 * errno is per thread in jnr-ffi.
 */
public final class NativeHostFiles implements HostFiles {
  // Linux values, the same on every architecture.
  private static final int AT_FDCWD = -100;
  private static final int AT_SYMLINK_NOFOLLOW = 0x100;
  private static final long FICLONE = 0x40049409L;
  private static final int ENOTTY = 25;

  // Open flags differ between architectures (O_NOFOLLOW), so they come from jnr-constants.
  private static final int READ_SOURCE = OpenFlags.O_RDONLY.intValue() | OpenFlags.O_NOFOLLOW.intValue()
      | OpenFlags.O_NONBLOCK.intValue() | OpenFlags.O_CLOEXEC.intValue();
  private static final int CREATE_TARGET = OpenFlags.O_WRONLY.intValue() | OpenFlags.O_CREAT.intValue()
      | OpenFlags.O_EXCL.intValue() | OpenFlags.O_NOFOLLOW.intValue() | OpenFlags.O_CLOEXEC.intValue();

  /** Bytes getxattr reads first: overlay values are short, so one call is usually enough. */
  static final int FIRST_READ = 256;

  private final LibC.Calls libc;
  private final jnr.ffi.Runtime runtime;
  private final Charset fileNames;
  private final boolean root;

  private NativeHostFiles(LibC.Calls libc) {
    this.libc = libc;
    this.runtime = jnr.ffi.Runtime.getRuntime(libc);
    this.fileNames = fileNameCharset();
    this.root = libc.geteuid() == 0;
  }

  /** Returns the host calls of this process; loads libc on first use. */
  public static NativeHostFiles create() {
    return Loaded.INSTANCE;
  }

  private static final class Loaded {
    static final NativeHostFiles INSTANCE = new NativeHostFiles(LibC.load());
  }

  /** True as root: CAP_MKNOD is what creating a device node needs, and root has it. */
  @Override
  public boolean canMknod() {
    return root;
  }

  @Override
  public String overlayXattrPrefix() {
    return root ? "trusted.overlay." : "user.overlay.";
  }

  /** Creates the node as mknod(2) does: the process umask applies to the permission bits. */
  @Override
  public void mknod(Path path, int mode, int major, int minor) throws IOException {
    check(libc.mknod(cPath(path), mode, makedev(major, minor)), path, "mknod");
  }

  /** glibc's makedev(3): the old 8-bit minor and 12-bit major where they were, higher bits above. */
  static long makedev(int major, int minor) {
    long ma = major & 0xffffffffL;
    long mi = minor & 0xffffffffL;
    return ((ma & 0xfffff000L) << 32) | ((ma & 0xfffL) << 8) | ((mi & 0xffffff00L) << 12) | (mi & 0xffL);
  }

  @Override
  public byte[] getxattr(Path path, String name) throws IOException {
    byte[] p = cPath(path);
    byte[] n = cString(name);
    int capacity = FIRST_READ;
    while (true) {
      byte[] value = new byte[capacity];
      long size = libc.lgetxattr(p, n, value, capacity);
      if (size >= 0) {
        return Arrays.copyOf(value, (int) size);
      }
      int errno = errno();
      if (errno == Errno.ENODATA.number()) {
        return null;
      }
      if (errno != Errno.ERANGE.number()) {
        throw error(errno, path, "lgetxattr " + name);
      }
      // Longer than we read: ask its size. It may change again before we read, hence the loop;
      // at least one byte, since a size of 0 would ask the size again instead of reading.
      size = libc.lgetxattr(p, n, null, 0);
      if (size < 0) {
        errno = errno();
        if (errno == Errno.ENODATA.number()) {
          return null;
        }
        throw error(errno, path, "lgetxattr " + name);
      }
      capacity = (int) Math.max(1, size);
    }
  }

  @Override
  public void setxattr(Path path, String name, byte[] value) throws IOException {
    check(libc.lsetxattr(cPath(path), cString(name), value, value.length, 0), path, "lsetxattr " + name);
  }

  @Override
  public boolean removexattr(Path path, String name) throws IOException {
    if (libc.lremovexattr(cPath(path), cString(name)) == 0) {
      return true;
    }
    int errno = errno();
    if (errno == Errno.ENODATA.number()) {
      return false;
    }
    throw error(errno, path, "lremovexattr " + name);
  }

  @Override
  public List<String> listxattr(Path path) throws IOException {
    byte[] p = cPath(path);
    int capacity = FIRST_READ;
    while (true) {
      byte[] list = new byte[capacity];
      long size = libc.llistxattr(p, list, capacity);
      if (size >= 0) {
        return splitNames(list, (int) size);
      }
      int errno = errno();
      if (errno != Errno.ERANGE.number()) {
        throw error(errno, path, "llistxattr");
      }
      size = libc.llistxattr(p, null, 0);
      if (size < 0) {
        throw error(errno(), path, "llistxattr");
      }
      capacity = (int) Math.max(1, size);
    }
  }

  /** Splits a listxattr buffer: names, each ended by a NUL. */
  private List<String> splitNames(byte[] list, int size) {
    List<String> names = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < size; i++) {
      if (list[i] == 0) {
        names.add(new String(list, start, i - start, fileNames));
        start = i + 1;
      }
    }
    return List.copyOf(names);
  }

  /** Sets owner and group; like chown(2), this clears setuid and setgid of a non-directory. */
  @Override
  public void lchown(Path path, long uid, long gid) throws IOException {
    check(libc.lchown(cPath(path), id(uid, path), id(gid, path)), path, "lchown");
  }

  private static int id(long id, Path path) throws ErrnoException {
    if (id < -1 || id > 0xfffffffeL) {
      throw new ErrnoException(Errno.EINVAL, path + ": no such uid or gid: " + id);
    }
    return (int) id;
  }

  /**
   * Sets the mode bits without following a symlink. Linux has no mode on a symlink: glibc's
   * fchmodat refuses one with EOPNOTSUPP, which here is a no-op, as for the kernel's overlay.
   */
  @Override
  public void chmod(Path path, int mode) throws IOException {
    if (libc.fchmodat(AT_FDCWD, cPath(path), mode & 07777, AT_SYMLINK_NOFOLLOW) == 0) {
      return;
    }
    int errno = errno();
    // glibc also answers EOPNOTSUPP when /proc is not mounted: only a symlink is a no-op.
    if (errno == Errno.EOPNOTSUPP.number() && Files.isSymbolicLink(path)) {
      return;
    }
    throw error(errno, path, "fchmodat");
  }

  @Override
  public void utimens(Path path, long atimeNanos, long mtimeNanos) throws IOException {
    long[] times = {
      Math.floorDiv(atimeNanos, 1_000_000_000L), Math.floorMod(atimeNanos, 1_000_000_000L),
      Math.floorDiv(mtimeNanos, 1_000_000_000L), Math.floorMod(mtimeNanos, 1_000_000_000L),
    };
    check(libc.utimensat(AT_FDCWD, cPath(path), times, AT_SYMLINK_NOFOLLOW), path, "utimensat");
  }

  @Override
  public void rename(Path from, Path to, int flags) throws IOException {
    if (libc.renameat2(AT_FDCWD, cPath(from), AT_FDCWD, cPath(to), flags) != 0) {
      throw error(errno(), from, "renameat2 to " + to + " flags " + flags);
    }
  }

  /**
   * Reflinks {@code source} into {@code target}, which must not exist (EEXIST): it is created
   * with mode 0600, and removed again when the filesystem cannot clone.
   */
  @Override
  public boolean cloneFile(Path source, Path target) throws IOException {
    // O_NONBLOCK so that a fifo given by mistake fails FICLONE instead of blocking the open.
    int src = open(source, READ_SOURCE, 0);
    try {
      int dst = open(target, CREATE_TARGET, 0600);
      int cloned = libc.ioctl(dst, FICLONE, src) == 0 ? 0 : errno();
      int closed = libc.close(dst) == 0 ? 0 : errno();
      if (cloned == 0 && closed == 0) {
        return true;
      }
      Files.delete(target);
      if (cloned == 0) {
        throw error(closed, target, "close");
      }
      if (cannotClone(cloned)) {
        return false;
      }
      throw error(cloned, target, "ioctl FICLONE from " + source);
    } finally {
      libc.close(src); // read only: nothing to lose if closing fails
    }
  }

  /** The answers of a filesystem or pair of files that have no reflinks. */
  private static boolean cannotClone(int errno) {
    return errno == Errno.EOPNOTSUPP.number() || errno == Errno.EXDEV.number() || errno == Errno.EINVAL.number()
        || errno == ENOTTY;
  }

  private int open(Path path, int flags, int mode) throws IOException {
    int fd = libc.open(cPath(path), flags, mode);
    if (fd < 0) {
      throw error(errno(), path, "open");
    }
    return fd;
  }

  /** O_PATH: a descriptor that names a directory without opening it for reading (Linux, every arch). */
  private static final int O_PATH = 010000000;
  private static final int WALK = O_PATH | OpenFlags.O_DIRECTORY.intValue() | OpenFlags.O_NOFOLLOW.intValue()
      | OpenFlags.O_CLOEXEC.intValue();
  /** Bytes a path may have and still be passed as it is. */
  private static final int SHORT = 3072;
  /**
   * Descriptors of the deep directories {@link #reachable} answered with, closed oldest first.
   * An answer is used by the one call it was made for, at once; 256 calls deep in long paths
   * at the same moment would be needed to close one still in use.
   */
  private final int[] aliases = new int[256];
  private int nextAlias;

  @Override
  public Path reachable(Path path) {
    byte[] whole = cPath(path);
    if (whole.length - 1 <= SHORT || !path.isAbsolute()) {
      return path;
    }
    // Walk down from / one name at a time (each call takes one short name) until what is
    // left fits; that directory's descriptor then stands for the path so far.
    int fd = open(Path.of("/"), WALK);
    Path rest = path.getRoot().relativize(path);
    int used = 0;
    try {
      while (rest.getNameCount() > 1 && cPath(rest).length - 1 > SHORT) {
        byte[] name = cPath(rest.getName(0));
        int next = libc.openat(fd, name, WALK, 0);
        if (next < 0) {
          return path; // the call itself will say what is wrong (ENOENT, ENOTDIR, ...)
        }
        libc.close(fd);
        fd = next;
        rest = rest.subpath(1, rest.getNameCount());
        used++;
      }
    } catch (RuntimeException e) {
      libc.close(fd);
      throw e;
    }
    if (used == 0) {
      libc.close(fd);
      return path;
    }
    synchronized (aliases) {
      int slot = nextAlias++ % aliases.length;
      if (aliases[slot] > 0) {
        libc.close(aliases[slot]);
      }
      aliases[slot] = fd;
    }
    return Path.of("/proc/self/fd/" + fd).resolve(rest);
  }

  private int open(Path path, int flags) {
    int fd = libc.open(cPath(path), flags, 0);
    if (fd < 0) {
      throw new IllegalStateException("cannot open " + path + ": errno " + errno());
    }
    return fd;
  }

  /** Counts are in units of the fragment size, as statvfs(3) reads them. */
  @Override
  public FsStats statfs(Path path) throws IOException {
    LibC.StatFs buf = new LibC.StatFs(runtime);
    check(libc.statfs(cPath(path), buf), path, "statfs");
    long frsize = buf.frsize.get();
    return new FsStats(frsize != 0 ? frsize : buf.bsize.get(), buf.blocks.get(), buf.bfree.get(), buf.bavail.get(),
        buf.files.get(), buf.ffree.get(), buf.namelen.get());
  }

  private void check(int result, Path path, String call) throws ErrnoException {
    if (result != 0) {
      throw error(errno(), path, call);
    }
  }

  private int errno() {
    return runtime.getLastError();
  }

  /** An exception for {@code errno}, naming the errno itself when {@link Errno} has no name for it. */
  static ErrnoException error(int errno, Path path, String call) {
    Errno answer = Errno.of(errno);
    jnr.constants.platform.Errno host = jnr.constants.platform.Errno.valueOf(errno);
    String why;
    if (!host.defined()) {
      why = "errno " + errno;
    } else if (answer.number() == errno) {
      why = host.description();
    } else {
      why = host.name() + " " + host.description();
    }
    return new ErrnoException(answer, path + ": " + call + ": " + why);
  }

  private byte[] cPath(Path path) {
    return nulTerminated(path.toString().getBytes(fileNames));
  }

  private byte[] cString(String name) throws ErrnoException {
    if (name.indexOf('\0') >= 0) {
      throw new ErrnoException(Errno.EINVAL, "xattr name with a NUL: " + name);
    }
    return nulTerminated(name.getBytes(fileNames));
  }

  private static byte[] nulTerminated(byte[] bytes) {
    return Arrays.copyOf(bytes, bytes.length + 1);
  }

  /** The charset the JDK encodes file names with, so that native calls see the same bytes. */
  private static Charset fileNameCharset() {
    String name = System.getProperty("sun.jnu.encoding");
    return name != null && Charset.isSupported(name) ? Charset.forName(name) : Charset.defaultCharset();
  }
}
