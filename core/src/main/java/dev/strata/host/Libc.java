package dev.strata.host;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.annotations.Variadic;
import jnr.ffi.types.dev_t;
import jnr.ffi.types.gid_t;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import jnr.ffi.types.u_int64_t;
import jnr.ffi.types.uid_t;

/**
 * The glibc functions the host calls are made of. Paths and names are NUL-terminated byte
 * arrays (see {@link Names}); data moves through native addresses, never through the heap.
 * Linux constants that are the same on every architecture Strata runs on (x86_64, aarch64) are
 * here too.
 */
final class Libc {
  static final Calls CALLS = LibraryLoader.create(Calls.class).load("c");
  static final Runtime RUNTIME = Runtime.getRuntime(CALLS);

  static final int AT_FDCWD = -100;
  static final int AT_SYMLINK_NOFOLLOW = 0x100;
  static final int AT_REMOVEDIR = 0x200;
  static final int AT_EMPTY_PATH = 0x1000;

  static final int O_RDONLY = 0;
  static final int O_WRONLY = 1;
  static final int O_RDWR = 2;
  static final int O_ACCMODE = 3;
  static final int O_CREAT = 0100;
  static final int O_EXCL = 0200;
  static final int O_TRUNC = 01000;
  static final int O_APPEND = 02000;
  static final int O_NONBLOCK = 04000;
  static final int O_DIRECTORY = 0200000;
  static final int O_NOFOLLOW = 0400000;
  static final int O_CLOEXEC = 02000000;
  static final int O_PATH = 010000000;

  static final int STATX_BASIC_STATS = 0x7ff;
  static final int STATX_SIZE = 256;

  static final long FICLONE = 0x40049409L;
  /**
   * The FUSE device's backing-file ioctls (Linux 6.9): _IOW(229, 1, struct fuse_backing_map)
   * and _IOW(229, 2, uint32_t).
   */
  static final long FUSE_DEV_IOC_BACKING_OPEN = 0x4010e501L;
  static final long FUSE_DEV_IOC_BACKING_CLOSE = 0x4004e502L;
  static final int SEEK_DATA = 3;
  static final int SEEK_HOLE = 4;

  private Libc() {}

  /** Returns the errno of the last failed call of this thread. */
  static int errno() {
    return RUNTIME.getLastError();
  }

  /** Returns the address of byte {@code position} of a direct buffer. */
  static long address(java.nio.ByteBuffer direct, int position) {
    return com.kenai.jffi.MemoryIO.getInstance().getDirectBufferAddress(direct) + position;
  }

  /** A {@code struct statx} for the calling thread. */
  static final ThreadLocal<Pointer> STATX = ThreadLocal.withInitial(() -> allocate(STATX_SIZE));

  /** Native memory of {@code size} bytes, freed when the returned pointer is collected. */
  static Pointer allocate(int size) {
    return jnr.ffi.Memory.allocateDirect(RUNTIME, size);
  }

  /** The functions. Public only because jnr-ffi implements it in a class loader of its own. */
  public interface Calls {
    int geteuid();

    @SaveError
    int statx(int dirfd, @In byte[] path, int flags, int mask, Pointer buf);

    @SaveError
    @Variadic(fixedCount = 3)
    int openat(int dirfd, @In byte[] path, int flags, @mode_t int mode);

    @SaveError
    int close(int fd);

    @SaveError
    int mkdirat(int dirfd, @In byte[] path, @mode_t int mode);

    @SaveError
    int mknodat(int dirfd, @In byte[] path, @mode_t int mode, @dev_t long dev);

    @SaveError
    int symlinkat(@In byte[] target, int dirfd, @In byte[] path);

    @SaveError
    int linkat(int olddirfd, @In byte[] oldpath, int newdirfd, @In byte[] newpath, int flags);

    @SaveError
    int unlinkat(int dirfd, @In byte[] path, int flags);

    @SaveError
    int renameat2(int olddirfd, @In byte[] oldpath, int newdirfd, @In byte[] newpath, int flags);

    @SaveError
    @ssize_t
    long readlinkat(int dirfd, @In byte[] path, @Out byte[] buf, @size_t long size);

    @SaveError
    int fchmodat(int dirfd, @In byte[] path, @mode_t int mode, int flags);

    @SaveError
    int fchownat(int dirfd, @In byte[] path, @uid_t int owner, @gid_t int group, int flags);

    /** {@code times} is {@code struct timespec[2]}: atime sec, nsec, mtime sec, nsec. */
    @SaveError
    int utimensat(int dirfd, @In byte[] path, @In long[] times, int flags);

    @SaveError
    @ssize_t
    long lgetxattr(@In byte[] path, @In byte[] name, @Out byte[] value, @size_t long size);

    @SaveError
    int lsetxattr(@In byte[] path, @In byte[] name, @In byte[] value, @size_t long size, int flags);

    @SaveError
    int lremovexattr(@In byte[] path, @In byte[] name);

    @SaveError
    @ssize_t
    long llistxattr(@In byte[] path, @Out byte[] list, @size_t long size);

    @SaveError
    @ssize_t
    long getxattr(@In byte[] path, @In byte[] name, @Out byte[] value, @size_t long size);

    @SaveError
    int setxattr(@In byte[] path, @In byte[] name, @In byte[] value, @size_t long size, int flags);

    @SaveError
    int removexattr(@In byte[] path, @In byte[] name);

    @SaveError
    @ssize_t
    long listxattr(@In byte[] path, @Out byte[] list, @size_t long size);

    @SaveError
    @ssize_t
    long fgetxattr(int fd, @In byte[] name, @Out byte[] value, @size_t long size);

    @SaveError
    int fsetxattr(int fd, @In byte[] name, @In byte[] value, @size_t long size, int flags);

    @SaveError
    int fremovexattr(int fd, @In byte[] name);

    @SaveError
    @ssize_t
    long flistxattr(int fd, @Out byte[] list, @size_t long size);

    @SaveError
    @ssize_t
    long pread64(int fd, @intptr_t long buf, @size_t long count, @off_t long offset);

    @SaveError
    @ssize_t
    long pwrite64(int fd, @intptr_t long buf, @size_t long count, @off_t long offset);

    @SaveError
    int ftruncate64(int fd, @off_t long length);

    @SaveError
    int fsync(int fd);

    int madvise(@intptr_t long addr, @size_t long length, int advice);

    int dup2(int oldfd, int newfd);

    @SaveError
    int flock(int fd, int operation);

    @SaveError
    int fdatasync(int fd);

    @SaveError
    int fchmod(int fd, @mode_t int mode);

    @SaveError
    int fchown(int fd, @uid_t int owner, @gid_t int group);

    @SaveError
    int futimens(int fd, @In long[] times);

    @SaveError
    int fstatfs64(int fd, Pointer buf);

    @SaveError
    @ssize_t
    long copy_file_range(int fdIn, @In @Out long[] offIn, int fdOut, @In @Out long[] offOut, @size_t long len,
        int flags);

    @SaveError
    @Variadic(fixedCount = 2)
    int ioctl(int fd, @u_int64_t long request, int arg);

    /** An ioctl whose argument is a pointer to {@code arg}'s bytes, copied in. */
    @SaveError
    @Variadic(fixedCount = 2)
    int ioctl(int fd, @u_int64_t long request, @In byte[] arg);

    @SaveError
    @off_t
    long lseek64(int fd, @off_t long offset, int whence);

    @SaveError
    Pointer fdopendir(int fd);

    @SaveError
    Pointer readdir64(Pointer dir);

    int closedir(Pointer dir);
  }
}
