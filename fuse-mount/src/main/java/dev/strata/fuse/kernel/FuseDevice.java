package dev.strata.fuse.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.annotations.Variadic;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import jnr.ffi.types.u_int64_t;

/**
 * One open {@code /dev/fuse} and the system calls around it: mount(2) of a FUSE filesystem
 * served through it, reading requests, writing replies, umount2(2).
 *
 * <p>Requests and replies move between the device and native memory (addresses, not Java
 * arrays), so that a 1 MiB write is not copied through the Java heap on its way to the engine.
 *
 * <p>Mounting with mount(2) needs root (CAP_SYS_ADMIN). Unprivileged users mount through the
 * setuid fusermount3, which opens the device itself and passes the descriptor back over a
 * socket; that is not implemented yet.
 */
final class FuseDevice implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(FuseDevice.class.getName());

  static final int EINTR = 4;
  static final int ENOENT = 2;
  static final int EAGAIN = 11;
  static final int EBUSY = 16;
  static final int EINVAL = 22;
  static final int ENODEV = 19;

  private static final int O_RDWR = 2;
  private static final int O_CLOEXEC = 02000000;
  static final int MNT_DETACH = 2;

  private static final Calls LIBC = LibraryLoader.create(Calls.class).load("c");
  private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

  /** The libc functions (public: jnr-ffi implements them in a class loader of its own). */
  public interface Calls {
    @SaveError
    @Variadic(fixedCount = 2)
    int open(@In byte[] path, int flags, @mode_t int mode);

    /** {@code buf} is an address of native memory. */
    @SaveError
    @ssize_t
    long read(int fd, @intptr_t long buf, @size_t long count);

    @SaveError
    @ssize_t
    long write(int fd, @intptr_t long buf, @size_t long count);

    @SaveError
    int close(int fd);

    @SaveError
    int mount(@In byte[] source, @In byte[] target, @In byte[] type, @u_int64_t long flags, @In byte[] data);

    @SaveError
    int umount2(@In byte[] target, int flags);

    int geteuid();

    int getegid();
  }

  private final int fd;
  private volatile boolean closed;

  private FuseDevice(int fd) {
    this.fd = fd;
  }

  /** Opens a new FUSE connection: every open of the device is one. */
  static FuseDevice open() throws IOException {
    int fd = LIBC.open(c("/dev/fuse"), O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) {
      throw new IOException("cannot open /dev/fuse: errno " + errno());
    }
    return new FuseDevice(fd);
  }

  /**
   * Mounts the filesystem this connection serves at {@code mountPoint}. The kernel queues INIT
   * at once; nothing under the mount point answers until a reader replies to it.
   */
  void mount(Path mountPoint, KernelMountOptions o) throws IOException {
    long flags = o.flags() | (o.readOnly() ? MountFlags.RDONLY : 0);
    // rootmode is the root's file type in octal; user_id and group_id name who may use the
    // mount without allow_other.
    List<String> data = new ArrayList<>(List.of("fd=" + fd, "rootmode=40000",
        "user_id=" + Integer.toUnsignedString(LIBC.geteuid()), "group_id=" + Integer.toUnsignedString(LIBC.getegid())));
    if (o.defaultPermissions()) {
      data.add("default_permissions");
    }
    if (o.allowOther()) {
      data.add("allow_other");
    }
    int rc = LIBC.mount(c(o.fsName()), c(mountPoint.toString()), c("fuse.strata"), flags, c(String.join(",", data)));
    if (rc != 0) {
      int e = errno();
      throw new IOException("mount(2) of " + mountPoint + " failed: errno " + e
          + (e == 1 ? " (EPERM: mounting /dev/fuse directly needs root)" : ""));
    }
  }

  /**
   * Reads one request into native memory at {@code address}; returns its length, or -1 once the
   * connection is gone (unmounted or aborted: ENODEV).
   */
  int read(long address, int capacity) throws IOException {
    while (true) {
      long n = LIBC.read(fd, address, capacity);
      if (n >= 0) {
        return (int) n;
      }
      int e = errno();
      if (e == EINTR || e == EAGAIN) {
        continue; // a signal, or a request another reader took first
      }
      if (e == ENODEV || closed) {
        return -1;
      }
      throw new IOException("read of /dev/fuse failed: errno " + e);
    }
  }

  /**
   * Writes one reply. ENOENT means the kernel no longer waits for it (the request was
   * interrupted and answered): not an error of ours.
   */
  void write(long address, int length) {
    while (true) {
      long n = LIBC.write(fd, address, length);
      if (n >= 0) {
        return;
      }
      int e = errno();
      if (e == EINTR) {
        continue;
      }
      if (e != ENOENT && e != ENODEV) {
        LOG.log(System.Logger.Level.WARNING, "write of a FUSE reply (" + length + " bytes) failed: errno " + e);
      }
      return;
    }
  }

  /** umount2(2); returns 0 or the errno. */
  static int umount(Path mountPoint, int flags) {
    return LIBC.umount2(c(mountPoint.toString()), flags) == 0 ? 0 : errno();
  }

  /**
   * Aborts connection {@code id} (the minor device number of the mount) through the fusectl
   * filesystem: readers get ENODEV whatever still holds the mount. The last resort of close.
   */
  static boolean abort(long id) {
    Path abort = Path.of("/sys/fs/fuse/connections", Long.toString(id), "abort");
    try {
      Files.writeString(abort, "1");
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      LIBC.close(fd);
    }
  }

  static int errno() {
    return RUNTIME.getLastError();
  }

  static byte[] c(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    byte[] z = new byte[b.length + 1];
    System.arraycopy(b, 0, z, 0, b.length);
    return z;
  }
}
