package dev.strata.host;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Backing files of a FUSE connection (Linux 6.9 and later): a host file registered with the
 * connection's {@code /dev/fuse} descriptor gets a backing id, which a reply to OPEN or CREATE
 * names (FOPEN_PASSTHROUGH) so that the kernel reads, writes and maps that open file's data in
 * the host file itself, asking the server nothing. The kernel keeps its own reference to the
 * file from registration on, so the descriptor may be closed at once; it lets the host file go
 * when the id is closed and no open file uses it any more.
 *
 * <p>The kernel allows this only to a process with CAP_SYS_ADMIN in the host's user namespace
 * (EPERM otherwise), on a connection whose INIT agreed on passthrough (EPERM too), for a regular
 * file (EINVAL) on a filesystem stacked less deep than the connection's max_stack_depth (ELOOP).
 */
public final class FuseBacking {
  private FuseBacking() {}

  /**
   * Registers {@code file} with the FUSE connection open as descriptor {@code device}
   * (FUSE_DEV_IOC_BACKING_OPEN); returns its backing id, above 0.
   *
   * @throws ErrnoException with the kernel's errno where it refuses
   */
  public static int open(int device, HostFile file) throws ErrnoException {
    // struct fuse_backing_map: int32 fd, uint32 flags (none defined), uint64 padding (zero)
    byte[] map = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putInt(file.fd()).array();
    int id = Libc.CALLS.ioctl(device, Libc.FUSE_DEV_IOC_BACKING_OPEN, map);
    if (id < 0) {
      throw ErrnoException.of(Libc.errno(), file.description() + ": FUSE_DEV_IOC_BACKING_OPEN");
    }
    return id;
  }

  /** Closes backing id {@code id} of the connection open as {@code device} (FUSE_DEV_IOC_BACKING_CLOSE). */
  public static void close(int device, int id) throws ErrnoException {
    byte[] arg = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(id).array();
    if (Libc.CALLS.ioctl(device, Libc.FUSE_DEV_IOC_BACKING_CLOSE, arg) != 0) {
      throw ErrnoException.of(Libc.errno(), "FUSE_DEV_IOC_BACKING_CLOSE of backing id " + id);
    }
  }
}
