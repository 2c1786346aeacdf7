package dev.strata.fuse;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.annotations.Transient;
import jnr.ffi.annotations.Variadic;
import jnr.ffi.types.dev_t;
import jnr.ffi.types.gid_t;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import jnr.ffi.types.u_int64_t;
import jnr.ffi.types.uid_t;

/**
 * The glibc calls behind {@link NativeHostFiles}. Paths and names are NUL-terminated byte arrays
 * in the encoding the JDK uses for file names, so that both see the same bytes.
 */
final class LibC {
  private LibC() {}

  /** Loads libc.so.6. */
  static Calls load() {
    return LibraryLoader.create(Calls.class).load("c");
  }

  /**
   * The functions. Public, as is {@link StatFs}, only because jnr-ffi implements them in a class
   * loader of its own, which cannot see package-private types.
   */
  public interface Calls {
    int geteuid();

    @SaveError
    int mknod(@In byte[] path, @mode_t int mode, @dev_t long dev);

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
    int lchown(@In byte[] path, @uid_t int owner, @gid_t int group);

    @SaveError
    int fchmodat(int dirfd, @In byte[] path, @mode_t int mode, int flags);

    /** {@code times} is {@code struct timespec[2]}: atime sec, nsec, mtime sec, nsec. */
    @SaveError
    int utimensat(int dirfd, @In byte[] path, @In long[] times, int flags);

    @SaveError
    int renameat2(int olddirfd, @In byte[] oldpath, int newdirfd, @In byte[] newpath, int flags);

    @SaveError
    int statfs(@In byte[] path, @Out @Transient StatFs buf);

    @SaveError
    @Variadic(fixedCount = 2)
    int open(@In byte[] path, int flags, @mode_t int mode);

    @SaveError
    @Variadic(fixedCount = 2)
    int ioctl(int fd, @u_int64_t long request, int arg);

    @SaveError
    int close(int fd);

    @SaveError
    @Variadic(fixedCount = 3)
    int openat(int dirfd, @In byte[] path, int flags, @mode_t int mode);
  }

  /**
   * {@code struct statfs} of 64-bit Linux (x86_64 and aarch64 agree): every field is a long but
   * {@code f_fsid}, two ints; 120 bytes.
   */
  public static final class StatFs extends Struct {
    final SignedLong type = new SignedLong();
    final SignedLong bsize = new SignedLong();
    final UnsignedLong blocks = new UnsignedLong();
    final UnsignedLong bfree = new UnsignedLong();
    final UnsignedLong bavail = new UnsignedLong();
    final UnsignedLong files = new UnsignedLong();
    final UnsignedLong ffree = new UnsignedLong();
    final Signed32[] fsid = array(new Signed32[2]);
    final SignedLong namelen = new SignedLong();
    final SignedLong frsize = new SignedLong();
    final SignedLong flags = new SignedLong();
    final SignedLong[] spare = array(new SignedLong[4]);

    StatFs(Runtime runtime) {
      super(runtime);
    }
  }
}
