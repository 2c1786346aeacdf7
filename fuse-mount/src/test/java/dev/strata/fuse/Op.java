package dev.strata.fuse;

import java.util.List;
import java.util.Random;

/**
 * One operation of a differential run, drawn from a seeded generator over a small namespace.
 * {@code uid} is the caller (its group the same number, no other groups): 0, or {@link #USER}
 * for the operations that make a file, whose owner the engine takes from its caller.
 */
record Op(Kind kind, String path, String path2, long a, long b, int flags, byte[] data, long uid) {
  /** The other caller: an unprivileged user. */
  static final long USER = 1000;

  enum Kind {
    STAT, READ, WRITE, APPEND, TRUNCATE, CHMOD, CHOWN, UTIMES, SETXATTR, REMOVEXATTR, LINK, SYMLINK,
    UNLINK, MKDIR, RMDIR, RENAME, READDIR, READLINK,
    /** open(2) with O_CREAT | O_EXCL, then a write of {@code data}. */
    CREATE,
    /** Open {@code path} into descriptor slot {@code a % SLOTS}, read-only, write-only or both ({@code b % 3}). */
    OPEN,
    /** Through the descriptor in slot {@code a % SLOTS}, whatever became of its name since. */
    FSTAT, FREAD, FWRITE, FTRUNCATE, FCHMOD, FUTIMES, FSETXATTR, CLOSE
  }

  /** Descriptors a run holds at once across its other operations. */
  static final int SLOTS = 3;

  /** Names the fixture's lower layers hold, and some they do not, so that ops collide. */
  static final List<String> NAMES = List.of("a", "b", "c", "d1", "d2", "x", "y", "w", "s", "n", "f", "big", "e");

  static Op random(Random r) {
    Kind k = Kind.values()[r.nextInt(Kind.values().length)];
    String p = path(r);
    String q = path(r);
    byte[] data = new byte[1 + r.nextInt(r.nextInt(10) == 0 ? 100_000 : 300)];
    r.nextBytes(data);
    long a = r.nextInt(4) == 0 ? r.nextInt(200_000) : r.nextInt(600);
    long b = r.nextInt(4096);
    int flags = switch (r.nextInt(6)) {
      case 0 -> 1; // RENAME_NOREPLACE
      case 1 -> 2; // RENAME_EXCHANGE
      default -> 0;
    };
    boolean makes = k == Kind.MKDIR || k == Kind.SYMLINK || k == Kind.CREATE;
    long uid = r.nextInt(3) == 0 && makes ? USER : 0;
    return new Op(k, p, q, a, b, flags, data, uid);
  }

  /** This operation, made by {@code caller}. */
  Op by(long caller) {
    return new Op(kind, path, path2, a, b, flags, data, caller);
  }

  private static String path(Random r) {
    int depth = 1 + (r.nextInt(10) < 6 ? 0 : r.nextInt(10) < 7 ? 1 : 2);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < depth; i++) {
      if (i > 0) {
        sb.append('/');
      }
      sb.append(NAMES.get(r.nextInt(NAMES.size())));
    }
    return sb.toString();
  }

  /** The descriptor slot of an OPEN or descriptor operation. */
  int slot() {
    return (int) (a % SLOTS);
  }

  @Override
  public String toString() {
    return kind + " " + path + (kind == Kind.LINK || kind == Kind.SYMLINK || kind == Kind.RENAME ? " " + path2 : "")
        + " a=" + a + " b=" + b + " flags=" + flags + " data=" + data.length + (uid == 0 ? "" : " by uid " + uid);
  }
}
