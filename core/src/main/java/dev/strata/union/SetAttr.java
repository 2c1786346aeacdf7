package dev.strata.union;

/**
 * The changes of one setattr call; a null field is left as it is.
 *
 * @param atimeNanos new access time in nanoseconds since the epoch (the caller resolves
 *     UTIME_NOW to the current time)
 */
public record SetAttr(Integer mode, Long uid, Long gid, Long size, Long atimeNanos, Long mtimeNanos) {
  public static SetAttr mode(int mode) {
    return new SetAttr(mode, null, null, null, null, null);
  }

  public static SetAttr owner(long uid, long gid) {
    return new SetAttr(null, uid, gid, null, null, null);
  }

  public static SetAttr size(long size) {
    return new SetAttr(null, null, null, size, null, null);
  }

  public static SetAttr times(long atimeNanos, long mtimeNanos) {
    return new SetAttr(null, null, null, null, atimeNanos, mtimeNanos);
  }

  /** Whether this changes the data (a truncate), not only metadata. */
  boolean changesData() {
    return size != null;
  }
}
