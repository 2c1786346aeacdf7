package dev.strata.layer;

/**
 * The order of a layer index's paths: component by component, each name by its bytes unsigned,
 * a directory before everything in it. It is byte order with {@code /} taken as the smallest
 * byte (no name holds a NUL), so everything under a directory follows it at once: a walk in this
 * order meets each ancestor of a path before the path, and leaves a directory's subtree once.
 */
final class PathOrder {
  private PathOrder() {}

  static int rank(byte b) {
    return b == '/' ? 0 : (b & 0xff);
  }

  /** Compares the first {@code aLen} bytes of {@code a} with the first {@code bLen} of {@code b}. */
  static int compare(byte[] a, int aLen, byte[] b, int bLen) {
    int n = Math.min(aLen, bLen);
    for (int i = 0; i < n; i++) {
      if (a[i] != b[i]) {
        return rank(a[i]) - rank(b[i]);
      }
    }
    return Integer.compare(aLen, bLen);
  }

  /** Returns whether {@code dir} (its first {@code dirLen} bytes) is {@code path} or holds it. */
  static boolean contains(byte[] dir, int dirLen, byte[] path, int pathLen) {
    if (dirLen == 0) {
      return true;
    }
    if (pathLen < dirLen || (pathLen > dirLen && path[dirLen] != '/')) {
      return false;
    }
    for (int i = 0; i < dirLen; i++) {
      if (dir[i] != path[i]) {
        return false;
      }
    }
    return true;
  }
}
