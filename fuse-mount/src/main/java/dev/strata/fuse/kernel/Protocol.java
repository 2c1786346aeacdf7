package dev.strata.fuse.kernel;

import dev.strata.union.Attr;
import java.nio.ByteBuffer;

/**
 * The Linux FUSE protocol as far as this transport speaks it (include/uapi/linux/fuse.h):
 * opcodes, flag bits, struct sizes, and the writers of the reply structs. Every struct is in
 * the host's byte order and padded to 8 bytes. The layouts are those of protocol 7.31; the
 * kernel keeps to the minor version INIT agrees on, so newer kernels send the same structs.
 * Passthrough (7.40) is asked for by its flag, not by the minor version (the kernel reads
 * flags2 wherever INIT_EXT is set), and changes no struct but fields that were unused in 7.31:
 * fuse_init_out's flags2 and max_stack_depth, fuse_open_out's backing_id.
 */
final class Protocol {
  private Protocol() {}

  static final int KERNEL_MAJOR = 7;
  /** The minor version whose structs this class writes and reads. */
  static final int KERNEL_MINOR = 31;
  /** The oldest minor we accept: RENAME2 (7.23) and the 7.9+ struct sizes are assumed. */
  static final int OLDEST_MINOR = 23;
  static final int ROOT_ID = 1;

  // Opcodes.
  static final int LOOKUP = 1;
  static final int FORGET = 2;
  static final int GETATTR = 3;
  static final int SETATTR = 4;
  static final int READLINK = 5;
  static final int SYMLINK = 6;
  static final int MKNOD = 8;
  static final int MKDIR = 9;
  static final int UNLINK = 10;
  static final int RMDIR = 11;
  static final int RENAME = 12;
  static final int LINK = 13;
  static final int OPEN = 14;
  static final int READ = 15;
  static final int WRITE = 16;
  static final int STATFS = 17;
  static final int RELEASE = 18;
  static final int FSYNC = 20;
  static final int SETXATTR = 21;
  static final int GETXATTR = 22;
  static final int LISTXATTR = 23;
  static final int REMOVEXATTR = 24;
  static final int FLUSH = 25;
  static final int INIT = 26;
  static final int OPENDIR = 27;
  static final int READDIR = 28;
  static final int RELEASEDIR = 29;
  static final int FSYNCDIR = 30;
  static final int ACCESS = 34;
  static final int CREATE = 35;
  static final int INTERRUPT = 36;
  static final int DESTROY = 38;
  static final int BATCH_FORGET = 42;
  static final int READDIRPLUS = 44;
  static final int RENAME2 = 45;

  // INIT flags.
  static final int ASYNC_READ = 1 << 0;
  static final int ATOMIC_O_TRUNC = 1 << 3;
  static final int BIG_WRITES = 1 << 5;
  static final int DO_READDIRPLUS = 1 << 13;
  static final int READDIRPLUS_AUTO = 1 << 14;
  static final int PARALLEL_DIROPS = 1 << 18;
  static final int POSIX_ACL = 1 << 20;
  static final int MAX_PAGES = 1 << 22;
  static final int CACHE_SYMLINKS = 1 << 23;
  /** The request's fuse_init_in, and the reply's fuse_init_out, carry flags2: the flags above bit 31. */
  static final int INIT_EXT = 1 << 30;

  // INIT flags2 (bit n is flag bit 32 + n).
  /** FUSE_PASSTHROUGH (7.40, Linux 6.9): opens may name a backing file ({@link #FOPEN_PASSTHROUGH}). */
  static final int PASSTHROUGH_FLAGS2 = 1 << (37 - 32);

  // SETATTR valid bits.
  static final int FATTR_MODE = 1 << 0;
  static final int FATTR_UID = 1 << 1;
  static final int FATTR_GID = 1 << 2;
  static final int FATTR_SIZE = 1 << 3;
  static final int FATTR_ATIME = 1 << 4;
  static final int FATTR_MTIME = 1 << 5;
  static final int FATTR_FH = 1 << 6;
  static final int FATTR_ATIME_NOW = 1 << 7;
  static final int FATTR_MTIME_NOW = 1 << 8;
  static final int FATTR_CTIME = 1 << 10;
  static final int FATTR_KILL_SUIDGID = 1 << 11;

  // fuse_open_out flags.
  static final int FOPEN_KEEP_CACHE = 1 << 1;
  static final int FOPEN_CACHE_DIR = 1 << 3;
  /** No FLUSH at close (nothing the server does at close is missed: it has no locks to drop). */
  static final int FOPEN_NOFLUSH = 1 << 5;
  /** Reads, writes and mmap go to the backing file fuse_open_out names (7.40). */
  static final int FOPEN_PASSTHROUGH = 1 << 7;

  static final int FSYNC_FDATASYNC = 1;

  // Sizes of the structs.
  static final int IN_HEADER = 40;
  static final int OUT_HEADER = 16;
  static final int ATTR = 88;
  static final int ENTRY_OUT = 40 + ATTR;
  static final int ATTR_OUT = 16 + ATTR;
  static final int OPEN_OUT = 16;
  static final int INIT_OUT = 64;
  static final int WRITE_IN = 40;
  static final int DIRENT = 24;
  static final int DIRENTPLUS = ENTRY_OUT + DIRENT;
  static final int KSTATFS = 80;

  /** A cache timeout as the protocol carries it: whole seconds and nanoseconds. */
  record Timeout(long seconds, int nanos) {
    static Timeout of(double seconds) {
      long whole = (long) Math.floor(seconds);
      return new Timeout(whole, (int) Math.round((seconds - whole) * 1e9) % 1_000_000_000);
    }

    static final Timeout NONE = new Timeout(0, 0);
  }

  /** fuse_attr. */
  static void putAttr(ByteBuffer b, Attr a) {
    b.putLong(a.ino());
    b.putLong(a.size());
    b.putLong(a.blocks());
    b.putLong(Math.floorDiv(a.atimeNanos(), 1_000_000_000L));
    b.putLong(Math.floorDiv(a.mtimeNanos(), 1_000_000_000L));
    b.putLong(Math.floorDiv(a.ctimeNanos(), 1_000_000_000L));
    b.putInt((int) Math.floorMod(a.atimeNanos(), 1_000_000_000L));
    b.putInt((int) Math.floorMod(a.mtimeNanos(), 1_000_000_000L));
    b.putInt((int) Math.floorMod(a.ctimeNanos(), 1_000_000_000L));
    b.putInt(a.mode());
    b.putInt(a.nlink());
    b.putInt((int) a.uid());
    b.putInt((int) a.gid());
    b.putInt(encodeDev(a.rdevMajor(), a.rdevMinor()));
    b.putInt(4096); // blksize: the st_blksize stat(2) reports, what cp and friends size buffers by
    b.putInt(0); // flags (submount, DAX): none
  }

  /** An attribute struct that names only an inode number and a type, for "." and "..". */
  static void putBareAttr(ByteBuffer b, long ino, int mode) {
    int start = b.position();
    for (int i = 0; i < ATTR; i += 8) {
      b.putLong(0);
    }
    b.putLong(start, ino);
    b.putInt(start + 60, mode);
  }

  /** fuse_entry_out; nodeid 0 with an entry timeout caches the name's absence. */
  static void putEntryOut(ByteBuffer b, long nodeid, Timeout entry, Timeout attr, Attr a) {
    b.putLong(nodeid);
    b.putLong(0); // generation: node ids are never reused while mounted
    b.putLong(entry.seconds());
    b.putLong(attr.seconds());
    b.putInt(entry.nanos());
    b.putInt(attr.nanos());
    if (a != null) {
      putAttr(b, a);
    } else {
      putBareAttr(b, 0, 0);
    }
  }

  /** fuse_attr_out. */
  static void putAttrOut(ByteBuffer b, Timeout attr, Attr a) {
    b.putLong(attr.seconds());
    b.putInt(attr.nanos());
    b.putInt(0);
    putAttr(b, a);
  }

  /** fuse_open_out, without a backing file. */
  static void putOpenOut(ByteBuffer b, long fh, int openFlags) {
    putOpenOut(b, fh, openFlags, 0);
  }

  /** fuse_open_out; {@code backingId} (the padding before 7.40) names a backing file, or is 0. */
  static void putOpenOut(ByteBuffer b, long fh, int openFlags, int backingId) {
    b.putLong(fh);
    b.putInt(openFlags);
    b.putInt(backingId);
  }

  /** The bytes a dirent (or direntplus, with {@code head} = DIRENTPLUS) of a name takes. */
  static int recordSize(int head, int nameLength) {
    return (head + nameLength + 7) & ~7;
  }

  /** fuse_dirent, padded with zeros to 8 bytes. */
  static void putDirent(ByteBuffer b, long ino, long nextOffset, int type, byte[] name) {
    b.putLong(ino);
    b.putLong(nextOffset);
    b.putInt(name.length);
    b.putInt(type);
    b.put(name);
    for (int pad = recordSize(DIRENT, name.length) - DIRENT - name.length; pad > 0; pad--) {
      b.put((byte) 0);
    }
  }

  /** The kernel's 32-bit dev_t encoding (new_encode_dev), as fuse_attr.rdev carries it. */
  static int encodeDev(int major, int minor) {
    return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);
  }

  static int devMajor(int dev) {
    return (dev & 0xfff00) >>> 8;
  }

  static int devMinor(int dev) {
    return (dev & 0xff) | ((dev >>> 12) & 0xfff00);
  }
}
