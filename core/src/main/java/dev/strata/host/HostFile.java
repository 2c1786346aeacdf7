package dev.strata.host;

import static dev.strata.host.Libc.CALLS;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import jnr.ffi.Pointer;

/**
 * An open file of the host: a descriptor, and the calls on it. Reads and writes go between the
 * file and a buffer's native memory in one call each; everything else that can be done to a
 * file by its descriptor is here too, so that a file keeps working once its names are gone (an
 * unlinked file still open, as POSIX has it). Every failure is an {@link ErrnoException} with
 * the errno the host gave. Safe for use by several threads (the calls are positional).
 */
public final class HostFile implements Closeable {
  /** open(2) flags, as Linux numbers them on every architecture Strata runs on. */
  public static final int O_RDONLY = Libc.O_RDONLY;
  public static final int O_WRONLY = Libc.O_WRONLY;
  public static final int O_RDWR = Libc.O_RDWR;
  public static final int O_ACCMODE = Libc.O_ACCMODE;
  public static final int O_CREAT = Libc.O_CREAT;
  public static final int O_EXCL = Libc.O_EXCL;
  public static final int O_TRUNC = Libc.O_TRUNC;
  public static final int O_APPEND = Libc.O_APPEND;
  public static final int O_NONBLOCK = Libc.O_NONBLOCK;
  public static final int O_DIRECTORY = Libc.O_DIRECTORY;

  /** The bounce buffer of reads and writes of heap buffers, one per thread. */
  private static final ThreadLocal<ByteBuffer> BOUNCE = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(1 << 16));

  private final int fd;
  private final String description;
  private volatile boolean closed;

  HostFile(int fd, String description) {
    this.fd = fd;
    this.description = description;
  }

  /**
   * Opens {@code path} with open(2) {@code flags} (a file of the store, whose path the JDK made;
   * its bytes are the ones the JDK would use), never through a symlink at its end.
   */
  public static HostFile open(Path path, int flags, int mode) throws IOException {
    byte[] p = HostDir.cPath(path);
    int f = CALLS.openat(Libc.AT_FDCWD, p, flags | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, mode);
    if (f < 0) {
      throw ErrnoException.of(Libc.errno(), path + ": open");
    }
    return new HostFile(f, path.toString());
  }

  /** The descriptor, for the calls of this package that take it as an argument ({@link FuseBacking}). */
  int fd() {
    return fd;
  }

  /** Returns where the file is (where it was opened), for messages. */
  public String description() {
    return description;
  }

  /**
   * Reads into {@code dst} from {@code position}: as many bytes as one read(2) gives; returns
   * how many, or -1 at the end of the file.
   */
  public int read(long position, ByteBuffer dst) throws IOException {
    if (!dst.hasRemaining()) {
      return 0;
    }
    if (dst.isDirect()) {
      long n = CALLS.pread64(fd, Libc.address(dst, dst.position()), dst.remaining(), position);
      if (n < 0) {
        throw error("read");
      }
      if (n == 0) {
        return -1;
      }
      dst.position(dst.position() + (int) n);
      return (int) n;
    }
    ByteBuffer bounce = BOUNCE.get().clear();
    bounce.limit(Math.min(bounce.capacity(), dst.remaining()));
    int n = read(position, bounce);
    if (n > 0) {
      dst.put(bounce.flip());
    }
    return n;
  }

  /**
   * Returns a stream of the file's bytes from the start; closing it closes this file. For a
   * caller that hands a host file to code that reads streams (a tar writer).
   */
  public java.io.InputStream stream() {
    return new PositionalStream(this::read, this);
  }

  /** Writes {@code src} at {@code position}, all of it; returns how many bytes that was. */
  public int write(long position, ByteBuffer src) throws IOException {
    int total = 0;
    while (src.hasRemaining()) {
      if (src.isDirect()) {
        long n = CALLS.pwrite64(fd, Libc.address(src, src.position()), src.remaining(), position + total);
        if (n < 0) {
          throw error("write");
        }
        src.position(src.position() + (int) n);
        total += (int) n;
      } else {
        ByteBuffer bounce = BOUNCE.get().clear();
        int chunk = Math.min(bounce.capacity(), src.remaining());
        bounce.put(src.duplicate().limit(src.position() + chunk)).flip();
        int n = write(position + total, bounce);
        src.position(src.position() + n);
        total += n;
      }
    }
    return total;
  }

  /** Returns what fstat(2) says of the file. */
  public Stat stat() throws IOException {
    Pointer buf = Libc.STATX.get();
    if (CALLS.statx(fd, new byte[] {0}, Libc.AT_EMPTY_PATH | Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, buf) != 0) {
      throw error("fstat");
    }
    return Stat.of(buf);
  }

  /** Returns the file's length. */
  public long size() throws IOException {
    return stat().size();
  }

  /** Truncates (or extends with a hole) to {@code size} bytes. */
  public void truncate(long size) throws IOException {
    if (CALLS.ftruncate64(fd, size) != 0) {
      throw error("truncate to " + size + " bytes");
    }
  }

  /** fsync(2), or fdatasync(2) when only the data must reach the disk. */
  public void sync(boolean dataOnly) throws IOException {
    if ((dataOnly ? CALLS.fdatasync(fd) : CALLS.fsync(fd)) != 0) {
      throw error(dataOnly ? "fdatasync" : "fsync");
    }
  }

  public void chmod(int mode) throws IOException {
    if (CALLS.fchmod(fd, mode & 07777) != 0) {
      throw error("fchmod");
    }
  }

  /** Sets owner and group (-1 leaves one as it is). */
  public void chown(long uid, long gid) throws IOException {
    if (CALLS.fchown(fd, (int) uid, (int) gid) != 0) {
      throw error("fchown");
    }
  }

  /** Sets access and modification times in nanoseconds since the epoch. */
  public void utimens(long atimeNanos, long mtimeNanos) throws IOException {
    if (CALLS.futimens(fd, timespecs(atimeNanos, mtimeNanos)) != 0) {
      throw error("futimens");
    }
  }

  /** Returns the value of xattr {@code name}, or null if the file has none of that name. */
  public byte[] getxattr(String name) throws IOException {
    byte[] n = HostDir.xattrName(name);
    long size = CALLS.fgetxattr(fd, n, null, 0);
    while (size >= 0) {
      byte[] value = new byte[(int) Math.max(1, size)];
      long got = CALLS.fgetxattr(fd, n, value, value.length);
      if (got >= 0) {
        return Arrays.copyOf(value, (int) got);
      }
      if (Libc.errno() != Errno.ERANGE.number()) {
        break;
      }
      size = CALLS.fgetxattr(fd, n, null, 0); // it grew meanwhile
    }
    int e = Libc.errno();
    if (e == Errno.ENODATA.number()) {
      return null;
    }
    throw ErrnoException.of(e, description + ": fgetxattr " + name);
  }

  public void setxattr(String name, byte[] value, int flags) throws IOException {
    if (CALLS.fsetxattr(fd, HostDir.xattrName(name), value, value.length, flags) != 0) {
      throw error("fsetxattr " + name);
    }
  }

  /** Removes xattr {@code name}; returns whether it was there. */
  public boolean removexattr(String name) throws IOException {
    if (CALLS.fremovexattr(fd, HostDir.xattrName(name)) == 0) {
      return true;
    }
    if (Libc.errno() == Errno.ENODATA.number()) {
      return false;
    }
    throw error("fremovexattr " + name);
  }

  public List<String> listxattr() throws IOException {
    long size = CALLS.flistxattr(fd, null, 0);
    while (size >= 0) {
      byte[] list = new byte[(int) Math.max(1, size)];
      long got = CALLS.flistxattr(fd, list, list.length);
      if (got >= 0) {
        return HostDir.splitNames(list, (int) got);
      }
      if (Libc.errno() != Errno.ERANGE.number()) {
        break;
      }
      size = CALLS.flistxattr(fd, null, 0);
    }
    throw error("flistxattr");
  }

  /**
   * Copies {@code length} bytes of {@code source} from {@code sourcePosition} to this file at
   * {@code position} inside the kernel (copy_file_range(2): a reflink or a server-side copy
   * where the filesystem has one, else a copy that never enters this process). Returns the
   * bytes copied, fewer at the end of the source.
   *
   * @throws ErrnoException EXDEV, EOPNOTSUPP or EINVAL where the kernel cannot copy between
   *     these files (the caller then copies through memory)
   */
  public long copyFrom(HostFile source, long sourcePosition, long position, long length) throws IOException {
    long[] in = {sourcePosition};
    long[] out = {position};
    long done = 0;
    while (done < length) {
      long n = CALLS.copy_file_range(source.fd, in, fd, out, length - done, 0);
      if (n < 0) {
        throw ErrnoException.of(Libc.errno(), description + ": copy_file_range from " + source.description);
      }
      if (n == 0) {
        break; // the end of the source
      }
      done += n;
    }
    return done;
  }

  /**
   * Makes this file (empty, just created) share all of {@code source}'s blocks (FICLONE, a
   * reflink: btrfs, xfs with reflink=1); returns false where the filesystem cannot.
   */
  public boolean cloneFrom(HostFile source) throws IOException {
    if (CALLS.ioctl(fd, Libc.FICLONE, source.fd) == 0) {
      return true;
    }
    int e = Libc.errno();
    if (e == Errno.EOPNOTSUPP.number() || e == Errno.EXDEV.number() || e == Errno.EINVAL.number()
        || e == Errno.ENOTTY.number() || e == Errno.EBADF.number()) {
      return false;
    }
    throw ErrnoException.of(e, description + ": FICLONE from " + source.description);
  }

  /** Returns the first position at or after {@code from} that holds data; -1 if none does. */
  public long nextData(long from) throws IOException {
    return seek(from, Libc.SEEK_DATA);
  }

  /** Returns the first position at or after {@code from} in a hole (the size at the end). */
  public long nextHole(long from) throws IOException {
    return seek(from, Libc.SEEK_HOLE);
  }

  private long seek(long from, int whence) throws IOException {
    long at = CALLS.lseek64(fd, from, whence);
    if (at >= 0) {
      return at;
    }
    if (Libc.errno() == Errno.ENXIO.number()) {
      return -1;
    }
    throw error(whence == Libc.SEEK_DATA ? "lseek SEEK_DATA" : "lseek SEEK_HOLE");
  }

  /** statfs(2) of the filesystem the file is on. */
  public FsStats statfs() throws IOException {
    // struct statfs of 64-bit Linux (x86_64 and aarch64 agree): longs, but f_fsid is two ints;
    // f_bsize at 8, the counts from 16 to 48, f_namelen at 64, f_frsize at 72; 120 bytes.
    Pointer b = Libc.allocate(120);
    if (CALLS.fstatfs64(fd, b) != 0) {
      throw error("fstatfs");
    }
    long frsize = b.getLong(72);
    return new FsStats(frsize != 0 ? frsize : b.getLong(8), b.getLong(16), b.getLong(24), b.getLong(32),
        b.getLong(40), b.getLong(48), b.getLong(64));
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    if (CALLS.close(fd) != 0) {
      // Linux frees the descriptor whatever close says; an error here (EIO, ENOSPC, EDQUOT of a
      // delayed write on NFS) is what a write answered late, and the caller must hear it.
      throw error("close");
    }
  }

  @Override
  public String toString() {
    return description;
  }

  /** A {@code struct timespec[2]} of two times in nanoseconds. */
  static long[] timespecs(long atimeNanos, long mtimeNanos) {
    return new long[] {
      Math.floorDiv(atimeNanos, 1_000_000_000L), Math.floorMod(atimeNanos, 1_000_000_000L),
      Math.floorDiv(mtimeNanos, 1_000_000_000L), Math.floorMod(mtimeNanos, 1_000_000_000L),
    };
  }

  private ErrnoException error(String call) {
    return ErrnoException.of(Libc.errno(), description + ": " + call);
  }
}
