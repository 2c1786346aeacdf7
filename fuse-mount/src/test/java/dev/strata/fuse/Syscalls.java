package dev.strata.fuse;

import java.nio.charset.StandardCharsets;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.annotations.Variadic;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The plain system calls the tests make on a kernel overlay mount, so that each answers with
 * the kernel's own errno (java.nio would turn unlink of a directory into rmdir, for one).
 * Public for the mount conformance tests in {@code dev.strata.fuse.conformance}.
 */
public final class Syscalls {
  private static final Calls LIBC = LibraryLoader.create(Calls.class).load("c");
  private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

  private Syscalls() {}

  /** The libc functions (public: jnr-ffi implements them in a class loader of its own). */
  public interface Calls {
    @SaveError int unlink(@In byte[] path);

    @SaveError int rmdir(@In byte[] path);

    @SaveError int mkdir(@In byte[] path, @mode_t int mode);

    @SaveError int symlink(@In byte[] target, @In byte[] path);

    @SaveError int link(@In byte[] from, @In byte[] to);

    @SaveError int renameat2(int olddirfd, @In byte[] oldpath, int newdirfd, @In byte[] newpath, int flags);

    @SaveError @Variadic(fixedCount = 2) int open(@In byte[] path, int flags, @mode_t int mode);

    @SaveError @ssize_t long pread(int fd, @Out byte[] buf, @size_t long count, @off_t long offset);

    @SaveError @ssize_t long pwrite(int fd, @In byte[] buf, @size_t long count, @off_t long offset);

    @SaveError int ftruncate(int fd, @off_t long length);

    @SaveError int close(int fd);

    @SaveError int fsync(int fd);

    @SaveError int fdatasync(int fd);

    @SaveError int access(@In byte[] path, int mode);

    /** {@code times} is {@code struct timespec[2]}: atime sec, nsec, mtime sec, nsec. */
    @SaveError int utimensat(int dirfd, @In byte[] path, @In long[] times, int flags);

    @SaveError @ssize_t long readlink(@In byte[] path, @Out byte[] buf, @size_t long size);

    @SaveError int statx(int dirfd, @In byte[] path, int flags, int mask, @Out byte[] buf);

    @SaveError int fchmod(int fd, @mode_t int mode);

    @SaveError int fchown(int fd, int owner, int group);

    @SaveError int futimens(int fd, @In long[] times);

    @SaveError int fsetxattr(int fd, @In byte[] name, @In byte[] value, @size_t long size, int flags);

    /** Sets this thread's filesystem uid; returns the one before (an id of -1 only asks). */
    int setfsuid(int uid);

    int setfsgid(int gid);

    @SaveError int getgroups(int size, @Out int[] list);

    /**
     * syscall(2), for setgroups by number ({@link #SYS_SETGROUPS}): the kernel's call changes
     * the calling thread's groups alone, where glibc's wrapper changes every thread's.
     */
    @SaveError @Variadic(fixedCount = 1) long syscall(long number, long count, @In int[] groups);

    @SaveError Pointer opendir(@In byte[] path);

    /** The next {@code struct dirent64} of {@code dir}, or null at the end (or on error). */
    @SaveError Pointer readdir64(Pointer dir);

    @SaveError int closedir(Pointer dir);
  }

  /** setgroups' number on x86-64. */
  public static final long SYS_SETGROUPS = 116;

  public static byte[] c(String path) {
    byte[] b = path.getBytes(StandardCharsets.UTF_8);
    byte[] z = new byte[b.length + 1];
    System.arraycopy(b, 0, z, 0, b.length);
    return z;
  }

  public static Calls libc() {
    return LIBC;
  }

  /** The errno of the last failed call on this thread. */
  public static int errno() {
    return RUNTIME.getLastError();
  }
}
