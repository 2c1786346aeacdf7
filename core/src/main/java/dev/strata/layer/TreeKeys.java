package dev.strata.layer;

import java.util.Comparator;

/**
 * The sort keys of an index build's walk: one for each path an entry names or acts on, in
 * {@link PathOrder}, and at one path in the order of their roles, then of the entries' positions.
 * A key is the path's bytes followed by {@code role, position (4 bytes, big-endian), kind, flag}.
 */
final class TreeKeys {
  /** The entry at its own path in the tar. */
  static final int ENTRY = 0;
  /** An opaque marker, at the directory it makes opaque. */
  static final int OPAQUE = 1;
  /** A whiteout, at the path it deletes. */
  static final int WHITEOUT = 2;
  /** A hard link, at the path it names. */
  static final int LINK = 3;

  static final int SUFFIX = 7;
  private static final EntryKind[] KINDS = EntryKind.values();

  static final Comparator<byte[]> ORDER = (a, b) -> {
    int c = PathOrder.compare(a, a.length - SUFFIX, b, b.length - SUFFIX);
    if (c != 0) {
      return c;
    }
    for (int i = SUFFIX; i > 2; i--) {
      int x = a[a.length - i] & 0xff;
      int y = b[b.length - i] & 0xff;
      if (x != y) {
        return x - y;
      }
    }
    return 0;
  };

  private TreeKeys() {}

  static byte[] key(byte[] path, int role, long position, EntryKind kind, boolean flag) {
    byte[] k = java.util.Arrays.copyOf(path, path.length + SUFFIX);
    int at = path.length;
    k[at] = (byte) role;
    k[at + 1] = (byte) (position >>> 24);
    k[at + 2] = (byte) (position >>> 16);
    k[at + 3] = (byte) (position >>> 8);
    k[at + 4] = (byte) position;
    k[at + 5] = (byte) kind.ordinal();
    k[at + 6] = (byte) (flag ? 1 : 0);
    return k;
  }

  static int pathLength(byte[] k) {
    return k.length - SUFFIX;
  }

  static int role(byte[] k) {
    return k[k.length - SUFFIX];
  }

  static int position(byte[] k) {
    int at = k.length - SUFFIX + 1;
    return ((k[at] & 0xff) << 24) | ((k[at + 1] & 0xff) << 16) | ((k[at + 2] & 0xff) << 8) | (k[at + 3] & 0xff);
  }

  static EntryKind kind(byte[] k) {
    return KINDS[k[k.length - 2]];
  }

  static boolean flag(byte[] k) {
    return k[k.length - 1] != 0;
  }
}
