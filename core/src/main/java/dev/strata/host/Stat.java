package dev.strata.host;

import dev.strata.overlay.Whiteouts;

/**
 * What statx(2) says of a host file.
 *
 * @param mode file type and permission bits, as st_mode
 * @param ino the inode number
 * @param dev the filesystem's device number (makedev of major and minor)
 * @param rdevMajor a device node's major number (0 otherwise); likewise rdevMinor
 * @param blocks 512-byte blocks allocated (less than the size for a sparse file)
 * @param atimeNanos access time in nanoseconds since the epoch; likewise mtime and ctime
 */
public record Stat(int mode, long ino, long dev, int nlink, long uid, long gid, int rdevMajor, int rdevMinor, long size,
    long blocks, long atimeNanos, long mtimeNanos, long ctimeNanos) {
  public static final int S_IFMT = 0170000;
  public static final int S_IFDIR = 0040000;
  public static final int S_IFREG = 0100000;
  public static final int S_IFLNK = 0120000;
  public static final int S_IFCHR = 0020000;
  public static final int S_IFBLK = 0060000;
  public static final int S_IFIFO = 0010000;
  public static final int S_IFSOCK = 0140000;

  /** Returns the type bits of the mode. */
  public int type() {
    return mode & S_IFMT;
  }

  public boolean isDirectory() {
    return type() == S_IFDIR;
  }

  public boolean isRegular() {
    return type() == S_IFREG;
  }

  public boolean isSymlink() {
    return type() == S_IFLNK;
  }

  /** Returns whether this is the kernel overlay's whiteout: a char device 0/0. */
  public boolean isWhiteout() {
    return Whiteouts.isWhiteoutDevice(type() == S_IFCHR, rdevMajor, rdevMinor);
  }

  /** Returns this with other owner, mode and device numbers (a rootless upper's override). */
  public Stat withOwnerAndMode(long newUid, long newGid, int newMode, int newMajor, int newMinor) {
    return new Stat(newMode, ino, dev, nlink, newUid, newGid, newMajor, newMinor, size, blocks, atimeNanos, mtimeNanos,
        ctimeNanos);
  }

  /** Reads a {@code struct statx} (the same layout on every architecture). */
  static Stat of(jnr.ffi.Pointer b) {
    long devMajor = Integer.toUnsignedLong(b.getInt(136));
    long devMinor = Integer.toUnsignedLong(b.getInt(140));
    return new Stat(b.getShort(28) & 0xffff, b.getLong(32), makedev(devMajor, devMinor), b.getInt(16),
        Integer.toUnsignedLong(b.getInt(20)), Integer.toUnsignedLong(b.getInt(24)), b.getInt(128), b.getInt(132),
        b.getLong(40), b.getLong(48), nanos(b, 64), nanos(b, 112), nanos(b, 96));
  }

  private static long nanos(jnr.ffi.Pointer b, int at) {
    return b.getLong(at) * 1_000_000_000L + Integer.toUnsignedLong(b.getInt(at + 8));
  }

  /** glibc's makedev(3): the old 8-bit minor and 12-bit major where they were, higher bits above. */
  public static long makedev(long major, long minor) {
    return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
  }

  /** The major number of a Linux dev_t. */
  public static int major(long dev) {
    return (int) (((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL));
  }

  /** The minor number of a Linux dev_t. */
  public static int minor(long dev) {
    return (int) (((dev >>> 12) & 0xffffff00L) | (dev & 0xffL));
  }
}
