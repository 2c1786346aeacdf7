package dev.strata.union;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The host system calls the engine needs on the upper and work directories beyond what
 * java.nio offers: device nodes (the kernel's whiteouts are char 0/0 devices), extended
 * attributes in every namespace (the overlay's own live in {@code trusted.overlay.*} as root),
 * renameat2 flags, nanosecond times and owners without following symlinks.
 *
 * <p>Core has a pure-Java implementation that does what the JDK allows ({@code user.*} xattrs,
 * no device nodes: the engine then writes {@code .wh.} whiteout files, as fuse-overlayfs reads
 * them); the FUSE module brings a native one. Every method acts on the path itself, never on
 * the target of a symlink.
 */
public interface HostFiles {
  /** renameat2(2) flags. */
  int RENAME_NOREPLACE = 1;
  int RENAME_EXCHANGE = 2;
  int RENAME_WHITEOUT = 4;

  /**
   * Returns a path by which the host reaches {@code path} whatever its length. A path past
   * PATH_MAX (4096 bytes) fails every system call, yet overlayfs serves files that deep (its
   * own paths are relative to the layers' roots); a host that can hold directories open
   * answers {@code /proc/self/fd/N/REST}, N a descriptor of a deep ancestor, kept open long
   * enough for the call the path is made for. The default, for hosts that cannot, is the path.
   */
  default Path reachable(Path path) {
    return path;
  }

  /** Returns whether device nodes (and so kernel whiteouts) can be created here. */
  boolean canMknod();

  /**
   * Returns whether files can be given any owner here (root). Without it (rootless), the
   * engine keeps owners, modes and device types in an override xattr, as fuse-overlayfs and
   * containers/storage do.
   */
  default boolean canChown() {
    return canMknod();
  }

  /**
   * Returns the prefix of overlay-private xattrs this host can write: {@code trusted.overlay.}
   * with CAP_SYS_ADMIN, {@code user.overlay.} otherwise (the kernel's userxattr convention).
   */
  String overlayXattrPrefix();

  /** Creates a device node, fifo or socket file (mode holds type and permission bits). */
  void mknod(Path path, int mode, int major, int minor) throws IOException;

  /** Returns the value of xattr {@code name}, or null if the file has none of that name. */
  byte[] getxattr(Path path, String name) throws IOException;

  /** Sets xattr {@code name}. */
  void setxattr(Path path, String name, byte[] value) throws IOException;

  /** Removes xattr {@code name}; returns whether it was there. */
  boolean removexattr(Path path, String name) throws IOException;

  /** Lists the xattr names (full names, namespace included) this host can see. */
  List<String> listxattr(Path path) throws IOException;

  /** Sets owner and group (-1 leaves one unchanged). */
  void lchown(Path path, long uid, long gid) throws IOException;

  /** Sets the permission bits, setuid, setgid and sticky included (not on symlinks). */
  void chmod(Path path, int mode) throws IOException;

  /** Sets access and modification times in nanoseconds since the epoch. */
  void utimens(Path path, long atimeNanos, long mtimeNanos) throws IOException;

  /** renameat2: {@code flags} from RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT. */
  void rename(Path from, Path to, int flags) throws IOException;

  /**
   * Makes {@code target} a copy of {@code source} cheaply if the filesystem can (a reflink);
   * returns false when it cannot, and the caller copies.
   */
  boolean cloneFile(Path source, Path target) throws IOException;

  /** statfs(2) of the filesystem holding {@code path}. */
  FsStats statfs(Path path) throws IOException;

  /** What statfs reports. */
  record FsStats(long blockSize, long blocks, long blocksFree, long blocksAvailable, long files, long filesFree,
      long nameMax) {}
}
