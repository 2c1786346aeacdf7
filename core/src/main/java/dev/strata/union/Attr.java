package dev.strata.union;

/**
 * The attributes getattr answers with, as stat(2) has them.
 *
 * @param mode type and permission bits
 * @param atimeNanos access time, nanoseconds since the epoch (likewise mtime and ctime)
 */
public record Attr(
    long ino,
    int mode,
    int nlink,
    long uid,
    long gid,
    int rdevMajor,
    int rdevMinor,
    long size,
    long blocks,
    long atimeNanos,
    long mtimeNanos,
    long ctimeNanos) {

  /** Returns the file type. */
  public FileType type() {
    return FileType.ofMode(mode);
  }

  /** Returns this with another inode number. */
  Attr withIno(long newIno) {
    return new Attr(newIno, mode, nlink, uid, gid, rdevMajor, rdevMinor, size, blocks, atimeNanos, mtimeNanos, ctimeNanos);
  }

  /** Returns this with another link count. */
  Attr withNlink(int n) {
    return new Attr(ino, mode, n, uid, gid, rdevMajor, rdevMinor, size, blocks, atimeNanos, mtimeNanos, ctimeNanos);
  }

  /** Returns this with another size (a metacopy file reports its lower data's size). */
  Attr withSize(long newSize, long newBlocks) {
    return new Attr(ino, mode, nlink, uid, gid, rdevMajor, rdevMinor, newSize, newBlocks, atimeNanos, mtimeNanos, ctimeNanos);
  }
}
