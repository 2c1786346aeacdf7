package dev.strata.host;

import static dev.strata.host.Libc.CALLS;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jnr.ffi.Pointer;

/**
 * A directory of the host held open, and the system calls on the files below it, by relative
 * paths (the {@code *at} calls): an upper directory, a work directory, a lower layer's root.
 *
 * <p>Paths are union paths in {@link Names}' form ("" for the directory itself, "a/b" below),
 * so every name reaches the host byte for byte whatever the locale. No call follows a symlink
 * at the last component, and a path too long for one call (past PATH_MAX, which overlayfs
 * serves all the same) is walked down one directory at a time. Every failure is an
 * {@link ErrnoException} with the errno the host gave. Thread-safe: the descriptor is only
 * read after construction.
 */
public final class HostDir implements Closeable {
  /** Bytes of a relative path passed to one call as it is; longer ones are walked. */
  private static final int LIMIT = 4000;
  private static final int WALK = Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC;
  /** Bytes an xattr read asks for first: overlay values are short, so one call is usually enough. */
  private static final int FIRST_READ = 256;

  private static final byte[] EMPTY = {0};

  private final int fd;
  private final String description;
  /** A descriptor of a file kept after its name went, not a directory to resolve names in. */
  private final boolean pinned;
  private volatile boolean closed;

  private HostDir(int fd, String description, boolean pinned) {
    this.fd = fd;
    this.description = description;
    this.pinned = pinned;
  }

  /**
   * Opens the directory {@code dir} (a symlink naming it is followed, as mount(8) follows it).
   * The path's bytes are the ones the JDK itself would use for it.
   */
  public static HostDir open(Path dir) throws IOException {
    byte[] path = cPath(dir);
    int fd = CALLS.openat(Libc.AT_FDCWD, path, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
    if (fd < 0) {
      throw ErrnoException.of(Libc.errno(), dir + ": open directory");
    }
    return new HostDir(fd, dir.toString(), false);
  }

  /** Opens the directory {@code rel} below this one (not following a symlink there). */
  public HostDir openDir(String rel) throws IOException {
    try (At at = at(rel)) {
      int dfd = CALLS.openat(at.fd, at.name(), WALK, 0);
      if (dfd < 0) {
        throw error(rel, "open directory");
      }
      return new HostDir(dfd, describe(rel), false);
    }
  }

  /**
   * Keeps the file {@code rel} (of any type, a symlink itself) reachable after its name goes:
   * the returned handle's path "" is that file, whatever happens to its name, until closed, as
   * an open descriptor keeps an unlinked file. Every call of this class works on it, through
   * the descriptor or its /proc/self/fd link.
   */
  public HostDir pin(String rel) throws IOException {
    try (At at = at(rel)) {
      int pfd = at.self ? CALLS.openat(Libc.AT_FDCWD, at.procLink(), WALK & ~Libc.O_DIRECTORY & ~Libc.O_NOFOLLOW, 0)
          : CALLS.openat(at.fd, at.name(), WALK & ~Libc.O_DIRECTORY, 0);
      if (pfd < 0) {
        throw error(rel, "pin");
      }
      return new HostDir(pfd, describe(rel) + " (name removed)", true);
    }
  }

  /** Returns where this directory is, for messages. */
  public String description() {
    return description;
  }

  /** Returns {@code rel} as a message names it: this directory's path and the name, printable. */
  public String describe(String rel) {
    return rel.isEmpty() ? description : description + "/" + Names.printable(rel);
  }

  /** lstat: what {@code rel} is, not following a symlink; null if there is nothing there. */
  public Stat stat(String rel) throws IOException {
    try (At at = at(rel)) {
      Pointer buf = Libc.STATX.get();
      int flags = Libc.AT_SYMLINK_NOFOLLOW | (at.self ? Libc.AT_EMPTY_PATH : 0);
      if (CALLS.statx(at.fd, at.self ? EMPTY : at.name(), flags, Libc.STATX_BASIC_STATS, buf) == 0) {
        return Stat.of(buf);
      }
      int e = Libc.errno();
      if (e == Errno.ENOENT.number() || e == Errno.ENOTDIR.number()) {
        return null;
      }
      throw ErrnoException.of(e, describe(rel) + ": statx");
    } catch (ErrnoException e) {
      if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
        return null; // an ancestor of a long path is missing
      }
      throw e;
    }
  }

  /** One name in a directory, with the type readdir(3) gives it ({@code DT_*}, 0 if unknown). */
  public record Entry(String name, int type, long ino) {
    public static final int DT_UNKNOWN = 0;
    public static final int DT_FIFO = 1;
    public static final int DT_CHR = 2;
    public static final int DT_DIR = 4;
    public static final int DT_BLK = 6;
    public static final int DT_REG = 8;
    public static final int DT_LNK = 10;
    public static final int DT_SOCK = 12;
  }

  /** Lists the directory {@code rel}, without "." and "..". */
  public List<Entry> list(String rel) throws IOException {
    int dfd;
    try (At at = at(rel)) {
      dfd = CALLS.openat(at.fd, at.name(), Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
      if (dfd < 0) {
        throw error(rel, "open directory");
      }
    }
    Pointer dir = CALLS.fdopendir(dfd);
    if (dir == null) {
      int e = Libc.errno();
      CALLS.close(dfd);
      throw ErrnoException.of(e, describe(rel) + ": fdopendir");
    }
    try {
      List<Entry> out = new ArrayList<>();
      while (true) {
        jnr.ffi.LastError.setLastError(Libc.RUNTIME, 0);
        Pointer d = CALLS.readdir64(dir);
        if (d == null) {
          int e = Libc.errno();
          if (e != 0) {
            throw ErrnoException.of(e, describe(rel) + ": readdir");
          }
          return out;
        }
        // struct dirent64: d_ino at 0, d_off at 8, d_reclen at 16, d_type at 18, d_name at 19.
        int length = 0;
        while (d.getByte(19 + length) != 0) {
          length++;
        }
        if (length == 1 && d.getByte(19) == '.' || length == 2 && d.getByte(19) == '.' && d.getByte(20) == '.') {
          continue;
        }
        byte[] bytes = new byte[length];
        d.get(19, bytes, 0, length);
        out.add(new Entry(Names.decode(bytes), d.getByte(18) & 0xff, d.getLong(0)));
      }
    } finally {
      CALLS.closedir(dir);
    }
  }

  /** Opens the file {@code rel} with open(2) {@code flags} ({@link HostFile}'s), never a symlink. */
  public HostFile open(String rel, int flags, int mode) throws IOException {
    try (At at = at(rel)) {
      int f = at.self ? CALLS.openat(Libc.AT_FDCWD, at.procLink(), flags | Libc.O_CLOEXEC, mode)
          : CALLS.openat(at.fd, at.name(), flags | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, mode);
      if (f < 0) {
        throw error(rel, "open");
      }
      return new HostFile(f, describe(rel));
    }
  }

  /** Creates the regular file {@code rel}, which must not exist, and closes it. */
  public void createFile(String rel, int mode) throws IOException {
    open(rel, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL, mode).close();
  }

  public void mkdir(String rel, int mode) throws IOException {
    try (At at = at(rel)) {
      check(CALLS.mkdirat(at.fd, at.name(), mode), rel, "mkdir");
    }
  }

  /** Creates a device node, fifo or socket ({@code mode} holds type and permission bits). */
  public void mknod(String rel, int mode, int major, int minor) throws IOException {
    try (At at = at(rel)) {
      check(CALLS.mknodat(at.fd, at.name(), mode, Stat.makedev(major & 0xffffffffL, minor & 0xffffffffL)), rel,
          "mknod");
    }
  }

  /** Creates the symlink {@code rel} to {@code target} (stored as it is, never resolved). */
  public void symlink(String target, String rel) throws IOException {
    try (At at = at(rel)) {
      check(CALLS.symlinkat(cString(Names.encode(target)), at.fd, at.name()), rel, "symlink");
    }
  }

  /** Makes {@code targetRel} in {@code target} another name of {@code rel}. */
  public void link(String rel, HostDir target, String targetRel) throws IOException {
    try (At from = at(rel); At to = target.at(targetRel)) {
      if (CALLS.linkat(from.fd, from.name(), to.fd, to.name(), 0) != 0) {
        throw ErrnoException.of(Libc.errno(), describe(rel) + ": link to " + target.describe(targetRel));
      }
    }
  }

  /** renameat2(2) flags. */
  public static final int RENAME_NOREPLACE = 1;
  public static final int RENAME_EXCHANGE = 2;
  public static final int RENAME_WHITEOUT = 4;

  /** renameat2 of {@code rel} to {@code targetRel} in {@code target}. */
  public void rename(String rel, HostDir target, String targetRel, int flags) throws IOException {
    try (At from = at(rel); At to = target.at(targetRel)) {
      if (CALLS.renameat2(from.fd, from.name(), to.fd, to.name(), flags) != 0) {
        throw ErrnoException.of(Libc.errno(), describe(rel) + ": rename to " + target.describe(targetRel)
            + (flags != 0 ? " (flags " + flags + ")" : ""));
      }
    }
  }

  public void unlink(String rel) throws IOException {
    try (At at = at(rel)) {
      check(CALLS.unlinkat(at.fd, at.name(), 0), rel, "unlink");
    }
  }

  public void rmdir(String rel) throws IOException {
    try (At at = at(rel)) {
      check(CALLS.unlinkat(at.fd, at.name(), Libc.AT_REMOVEDIR), rel, "rmdir");
    }
  }

  /** Removes {@code rel} (file or empty directory) if it is there; returns whether it was. */
  public boolean deleteIfExists(String rel) throws IOException {
    Stat st = stat(rel);
    if (st == null) {
      return false;
    }
    try {
      if (st.isDirectory()) {
        rmdir(rel);
      } else {
        unlink(rel);
      }
      return true;
    } catch (ErrnoException e) {
      if (e.errno() == Errno.ENOENT) {
        return false;
      }
      throw e;
    }
  }

  /** Returns the target of the symlink {@code rel}, as stored. */
  public String readlink(String rel) throws IOException {
    try (At at = at(rel)) {
      int capacity = 256;
      while (true) {
        byte[] buf = new byte[capacity];
        long n = CALLS.readlinkat(at.fd, at.self ? EMPTY : at.name(), buf, capacity);
        if (n < 0) {
          throw error(rel, "readlink");
        }
        if (n < capacity) {
          return Names.decode(buf, 0, (int) n);
        }
        capacity *= 4; // the target may be longer than what was read: read again, larger
      }
    }
  }

  /**
   * Sets the permission bits (setuid, setgid and sticky included), never through a symlink.
   * Linux keeps no mode on a symlink: glibc refuses one with EOPNOTSUPP, which here changes
   * nothing, as for the kernel's overlay.
   */
  public void chmod(String rel, int mode) throws IOException {
    try (At at = at(rel)) {
      int done = at.self ? CALLS.fchmodat(Libc.AT_FDCWD, at.procLink(), mode & 07777, 0)
          : CALLS.fchmodat(at.fd, at.name(), mode & 07777, Libc.AT_SYMLINK_NOFOLLOW);
      if (done == 0) {
        return;
      }
      int e = Libc.errno();
      Stat st;
      if (e == Errno.EOPNOTSUPP.number() && (st = stat(rel)) != null && st.isSymlink()) {
        return;
      }
      throw ErrnoException.of(e, describe(rel) + ": chmod");
    }
  }

  /** Sets owner and group (-1 leaves one as it is), of a symlink itself too. */
  public void chown(String rel, long uid, long gid) throws IOException {
    try (At at = at(rel)) {
      int flags = Libc.AT_SYMLINK_NOFOLLOW | (at.self ? Libc.AT_EMPTY_PATH : 0);
      check(CALLS.fchownat(at.fd, at.self ? EMPTY : at.name(), id(uid, rel), id(gid, rel), flags), rel, "chown");
    }
  }

  /** Sets access and modification times, in nanoseconds since the epoch, of a symlink itself too. */
  public void utimens(String rel, long atimeNanos, long mtimeNanos) throws IOException {
    try (At at = at(rel)) {
      long[] times = HostFile.timespecs(atimeNanos, mtimeNanos);
      // glibc refuses utimensat(fd, NULL): a pinned file is reached through its /proc link.
      check(at.self ? CALLS.utimensat(Libc.AT_FDCWD, at.procLink(), times, 0)
          : CALLS.utimensat(at.fd, at.name(), times, Libc.AT_SYMLINK_NOFOLLOW), rel, "utimensat");
    }
  }

  /** Truncates (or extends with a hole) the regular file {@code rel} to {@code size}. */
  public void truncate(String rel, long size) throws IOException {
    try (HostFile f = open(rel, Libc.O_WRONLY, 0)) {
      f.truncate(size);
    }
  }

  /** Returns the value of xattr {@code name} of {@code rel}, or null if it has none of that name. */
  public byte[] getxattr(String rel, String name) throws IOException {
    try (At at = at(rel)) {
      byte[] path = at.procPath();
      byte[] n = xattrName(name);
      int capacity = FIRST_READ;
      while (true) {
        byte[] value = new byte[capacity];
        long size = at.self ? CALLS.getxattr(path, n, value, capacity) : CALLS.lgetxattr(path, n, value, capacity);
        if (size >= 0) {
          return Arrays.copyOf(value, (int) size);
        }
        int e = Libc.errno();
        if (e == Errno.ENODATA.number()) {
          return null;
        }
        if (e != Errno.ERANGE.number()) {
          throw ErrnoException.of(e, describe(rel) + ": getxattr " + name);
        }
        // Longer than asked for: ask its size. It may change again before the next read, hence
        // the loop; at least one byte, as a size of 0 would ask the size instead of reading.
        size = at.self ? CALLS.getxattr(path, n, null, 0) : CALLS.lgetxattr(path, n, null, 0);
        if (size < 0) {
          e = Libc.errno();
          if (e == Errno.ENODATA.number()) {
            return null;
          }
          throw ErrnoException.of(e, describe(rel) + ": getxattr " + name);
        }
        capacity = (int) Math.max(1, size);
      }
    }
  }

  /** Sets xattr {@code name}; {@code flags} XATTR_CREATE (1) or XATTR_REPLACE (2), or 0. */
  public void setxattr(String rel, String name, byte[] value, int flags) throws IOException {
    try (At at = at(rel)) {
      byte[] path = at.procPath();
      byte[] n = xattrName(name);
      int done = at.self ? CALLS.setxattr(path, n, value, value.length, flags)
          : CALLS.lsetxattr(path, n, value, value.length, flags);
      if (done != 0) {
        throw ErrnoException.of(Libc.errno(), describe(rel) + ": setxattr " + name);
      }
    }
  }

  /** Removes xattr {@code name}; returns whether it was there. */
  public boolean removexattr(String rel, String name) throws IOException {
    try (At at = at(rel)) {
      byte[] path = at.procPath();
      int done = at.self ? CALLS.removexattr(path, xattrName(name)) : CALLS.lremovexattr(path, xattrName(name));
      if (done == 0) {
        return true;
      }
      int e = Libc.errno();
      if (e == Errno.ENODATA.number()) {
        return false;
      }
      throw ErrnoException.of(e, describe(rel) + ": removexattr " + name);
    }
  }

  /** Lists the names of the xattrs of {@code rel} (namespace included) this process can see. */
  public List<String> listxattr(String rel) throws IOException {
    try (At at = at(rel)) {
      byte[] path = at.procPath();
      int capacity = FIRST_READ;
      while (true) {
        byte[] list = new byte[capacity];
        long size = at.self ? CALLS.listxattr(path, list, capacity) : CALLS.llistxattr(path, list, capacity);
        if (size >= 0) {
          return splitNames(list, (int) size);
        }
        int e = Libc.errno();
        if (e != Errno.ERANGE.number()) {
          throw ErrnoException.of(e, describe(rel) + ": listxattr");
        }
        size = at.self ? CALLS.listxattr(path, null, 0) : CALLS.llistxattr(path, null, 0);
        if (size < 0) {
          throw ErrnoException.of(Libc.errno(), describe(rel) + ": listxattr");
        }
        capacity = (int) Math.max(1, size);
      }
    }
  }

  /** statfs(2) of the filesystem this directory is on. */
  public FsStats statfs() throws IOException {
    try (HostFile f = open("", Libc.O_RDONLY | Libc.O_DIRECTORY, 0)) {
      return f.statfs();
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      CALLS.close(fd);
    }
  }

  @Override
  public String toString() {
    return description;
  }

  /** Splits a listxattr buffer: names, each ended by a NUL. */
  static List<String> splitNames(byte[] list, int size) {
    List<String> names = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < size; i++) {
      if (list[i] == 0) {
        names.add(Names.decode(list, start, i - start));
        start = i + 1;
      }
    }
    return List.copyOf(names);
  }

  static byte[] xattrName(String name) throws ErrnoException {
    if (name.indexOf('\0') >= 0) {
      throw new ErrnoException(Errno.EINVAL, "an xattr name with a NUL: " + Names.printable(name));
    }
    return cString(Names.encode(name));
  }

  private static int id(long id, String rel) throws ErrnoException {
    if (id < -1 || id > 0xfffffffeL) {
      throw new ErrnoException(Errno.EINVAL, rel + ": no such uid or gid: " + id);
    }
    return (int) id;
  }

  private void check(int result, String rel, String call) throws ErrnoException {
    if (result != 0) {
      throw error(rel, call);
    }
  }

  private ErrnoException error(String rel, String call) {
    return ErrnoException.of(Libc.errno(), describe(rel) + ": " + call);
  }

  static byte[] cString(byte[] bytes) {
    return Arrays.copyOf(bytes, bytes.length + 1);
  }

  /** A path the JDK made, as the NUL-terminated bytes the JDK itself would pass the host. */
  static byte[] cPath(Path path) {
    return cString(path.toString().getBytes(Names.jdkCharset()));
  }

  /**
   * Where a relative path is for one call: a directory descriptor and a short name below it.
   * Closing it closes the descriptor of a deep directory that a long path was walked to.
   */
  private At at(String rel) throws IOException {
    if (closed) {
      throw new ErrnoException(Errno.EBADF, description + " is closed");
    }
    byte[] bytes = Names.encode(rel);
    if (pinned) {
      if (bytes.length > 0) {
        throw new ErrnoException(Errno.ENOENT, describe(rel) + ": below a removed file");
      }
      return new At(fd, bytes, -1, true);
    }
    if (bytes.length <= LIMIT) {
      return new At(fd, bytes, -1, false);
    }
    // Past PATH_MAX no call takes the path whole: walk down one directory at a time, never
    // through a symlink, until what is left fits.
    int dir = fd;
    int owned = -1;
    int start = 0;
    try {
      while (bytes.length - start > LIMIT) {
        int slash = start;
        while (slash < bytes.length && bytes[slash] != '/') {
          slash++;
        }
        if (slash >= bytes.length) {
          break; // one name longer than the limit: the call itself answers ENAMETOOLONG
        }
        int next = CALLS.openat(dir, cString(Arrays.copyOfRange(bytes, start, slash)), WALK, 0);
        if (next < 0) {
          throw ErrnoException.of(Libc.errno(), describe(rel) + ": walk to a deep directory");
        }
        if (owned >= 0) {
          CALLS.close(owned);
        }
        owned = next;
        dir = next;
        start = slash + 1;
      }
    } catch (IOException | RuntimeException e) {
      if (owned >= 0) {
        CALLS.close(owned);
      }
      throw e;
    }
    return new At(dir, Arrays.copyOfRange(bytes, start, bytes.length), owned, false);
  }

  private static final class At implements AutoCloseable {
    final int fd;
    /** The file is the pinned descriptor itself, reached through {@link #procLink}, not a name. */
    final boolean self;
    private final byte[] rest;
    private final int owned;

    At(int fd, byte[] rest, int owned, boolean self) {
      this.fd = fd;
      this.rest = rest;
      this.owned = owned;
      this.self = self;
    }

    /** /proc/self/fd/N: the file of the descriptor, for calls that follow it there. */
    byte[] procLink() {
      return cString(("/proc/self/fd/" + fd).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    /** The name relative to {@link #fd}, NUL-terminated ("." for the directory itself). */
    byte[] name() {
      return cString(rest.length == 0 ? new byte[] {'.'} : rest);
    }

    /**
     * A path that reaches the file from any call that takes only a path (the xattr calls):
     * through /proc/self/fd of the directory, the last component not followed by the l* calls.
     */
    byte[] procPath() {
      if (self) {
        return procLink();
      }
      byte[] prefix = ("/proc/self/fd/" + fd + "/").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      byte[] tail = rest.length == 0 ? new byte[] {'.'} : rest;
      byte[] out = new byte[prefix.length + tail.length + 1];
      System.arraycopy(prefix, 0, out, 0, prefix.length);
      System.arraycopy(tail, 0, out, prefix.length, tail.length);
      return out;
    }

    @Override
    public void close() {
      if (owned >= 0) {
        CALLS.close(owned);
      }
    }
  }
}
