package dev.strata.fuse.kernel;

import dev.strata.host.Capabilities;
import dev.strata.host.ErrnoException;
import dev.strata.host.FuseBacking;
import dev.strata.host.HostFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.annotations.Variadic;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import jnr.ffi.types.u_int64_t;

/**
 * One open {@code /dev/fuse} and the system calls around it: the mount of a FUSE filesystem
 * served through it, reading requests, writing replies, the unmount.
 *
 * <p>Requests and replies move between the device and native memory (addresses, not Java
 * arrays), so that a 1 MiB write is not copied through the Java heap on its way to the engine.
 *
 * <p>Two ways to mount, the same connection either way: a process that may mount
 * (CAP_SYS_ADMIN: the host's root, or root of a user namespace) opens the device and calls
 * mount(2) itself, and umount2(2) takes the mount down; any other process has the setuid
 * fusermount3 open the device and mount it, and gets the descriptor back over a socket
 * ({@link Fusermount}), and fusermount3 unmounts too (umount2 would answer EPERM).
 */
final class FuseDevice implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(FuseDevice.class.getName());

  static final int EINTR = 4;
  static final int ENOENT = 2;
  static final int EAGAIN = 11;
  static final int EBUSY = 16;
  static final int EINVAL = 22;
  static final int ENODEV = 19;

  static final int O_RDONLY = 0;
  private static final int O_RDWR = 2;
  static final int O_CLOEXEC = 02000000;
  private static final int MNT_DETACH = 2;

  static final Calls LIBC = LibraryLoader.create(Calls.class).load("c");
  private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

  /** The libc functions (public: jnr-ffi implements them in a class loader of its own). */
  public interface Calls {
    // Addresses (@intptr_t long) are of native memory (NativeBuffer). The posix_spawn functions
    // answer an errno value themselves instead of setting errno.
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

    @SaveError
    int socketpair(int domain, int type, int protocol, @Out int[] fds);

    @SaveError
    int pipe2(@Out int[] fds, int flags);

    int posix_spawn_file_actions_init(@intptr_t long actions);

    int posix_spawn_file_actions_destroy(@intptr_t long actions);

    int posix_spawn_file_actions_adddup2(@intptr_t long actions, int fd, int newfd);

    /** {@code path} is an address, kept until posix_spawn: an old libc keeps the pointer, not a copy. */
    int posix_spawn_file_actions_addopen(@intptr_t long actions, int fd, @intptr_t long path, int flags,
        @mode_t int mode);

    /** glibc 2.34 and later. */
    int posix_spawn_file_actions_addclosefrom_np(@intptr_t long actions, int from);

    int posix_spawn(@Out int[] pid, @intptr_t long path, @intptr_t long actions, @intptr_t long attributes,
        @intptr_t long argv, @intptr_t long envp);

    @SaveError
    int waitpid(int pid, @Out int[] status, int options);

    @SaveError
    @ssize_t
    long recvmsg(int fd, @intptr_t long msghdr, int flags);
  }

  private final int fd;
  /** Mounted by fusermount3, which then unmounts it too. */
  private final boolean byFusermount;
  private volatile boolean closed;

  private FuseDevice(int fd, boolean byFusermount) {
    this.fd = fd;
    this.byFusermount = byFusermount;
  }

  /**
   * Whether this process mounts with mount(2) itself (CAP_SYS_ADMIN in its user namespace)
   * rather than through fusermount3.
   */
  static boolean mountsItself() {
    return Capabilities.ofProcess().canMount();
  }

  /**
   * Opens a new FUSE connection (every open of the device is one) and mounts the filesystem it
   * serves at {@code mountPoint}: with mount(2) where this process may, else through
   * fusermount3. The kernel queues INIT at once; nothing under the mount point answers until a
   * reader replies to it.
   */
  static FuseDevice mount(Path mountPoint, KernelMountOptions o) throws IOException {
    if (!mountsItself()) {
      return new FuseDevice(Fusermount.mount(mountPoint, o), true);
    }
    int fd = LIBC.open(c("/dev/fuse"), O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) {
      throw new IOException("cannot open /dev/fuse: errno " + errno());
    }
    FuseDevice device = new FuseDevice(fd, false);
    try {
      device.mountItself(mountPoint, o);
    } catch (IOException e) {
      device.close();
      throw e;
    }
    return device;
  }

  private void mountItself(Path mountPoint, KernelMountOptions o) throws IOException {
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

  /**
   * Registers {@code file} as a backing file of this connection, for opens replied to with
   * FOPEN_PASSTHROUGH; returns its backing id ({@link FuseBacking}).
   */
  int openBacking(HostFile file) throws ErrnoException {
    return FuseBacking.open(fd, file);
  }

  /** Lets go of backing id {@code id}: open files that use it keep their backing file. */
  void closeBacking(int id) throws ErrnoException {
    FuseBacking.close(fd, id);
  }

  /**
   * Takes the mount down, lazily if it is busy (open files keep the connection until they are
   * closed). Failures are logged, not thrown: the caller goes on to wait for the connection to
   * end and aborts it if it does not. A mount already gone (unmounted from elsewhere) is no
   * failure.
   */
  void unmount(Path mountPoint) {
    if (byFusermount) {
      Fusermount.unmount(mountPoint);
      return;
    }
    int rc = umount2(mountPoint, 0);
    if (rc == EBUSY) {
      rc = umount2(mountPoint, MNT_DETACH);
    }
    if (rc != 0 && rc != EINVAL && rc != ENOENT) {
      LOG.log(System.Logger.Level.WARNING, "umount2 of " + mountPoint + " failed: errno " + rc);
    }
  }

  /** umount2(2); returns 0 or the errno. */
  private static int umount2(Path mountPoint, int flags) {
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
