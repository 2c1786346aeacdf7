package dev.strata.union;

/** The errors a filesystem operation answers with, numbered as Linux numbers them. */
public enum Errno {
  EPERM(1),
  ENOENT(2),
  EIO(5),
  EBADF(9),
  EAGAIN(11),
  ENOMEM(12),
  EACCES(13),
  EBUSY(16),
  EEXIST(17),
  EXDEV(18),
  ENOTDIR(20),
  EISDIR(21),
  EINVAL(22),
  EFBIG(27),
  ENOSPC(28),
  EROFS(30),
  EMLINK(31),
  ERANGE(34),
  ENAMETOOLONG(36),
  ENOSYS(38),
  ENOTEMPTY(39),
  ELOOP(40),
  ENODATA(61),
  EOPNOTSUPP(95);

  private final int number;

  Errno(int number) {
    this.number = number;
  }

  /** Returns the Linux error number. */
  public int number() {
    return number;
  }

  /** Returns the Errno with {@code number}, or EIO for one this enum does not name. */
  public static Errno of(int number) {
    for (Errno e : values()) {
      if (e.number == number) {
        return e;
      }
    }
    return EIO;
  }
}
