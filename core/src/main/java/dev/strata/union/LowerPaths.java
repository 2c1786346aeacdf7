package dev.strata.union;

/** Checks of the relative, slash-separated paths that lower layers are asked about. */
final class LowerPaths {
  private LowerPaths() {}

  /**
   * Returns {@code path} if it is "" or names made of anything but '/' and NUL, other than "."
   * and ".."; throws IllegalArgumentException otherwise, so that no question can reach out of a
   * layer.
   */
  static String check(String path) {
    if (path.isEmpty()) {
      return path;
    }
    int start = 0;
    while (true) {
      int slash = path.indexOf('/', start);
      int end = slash < 0 ? path.length() : slash;
      int length = end - start;
      if (length == 0 || (length == 1 && path.charAt(start) == '.')
          || (length == 2 && path.charAt(start) == '.' && path.charAt(start + 1) == '.')) {
        throw new IllegalArgumentException("not a relative normalized path: '" + path + "'");
      }
      if (slash < 0) {
        break;
      }
      start = slash + 1;
    }
    if (path.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("path contains a NUL byte: '" + path.replace('\0', '?') + "'");
    }
    return path;
  }

  /**
   * Returns whether {@code redirect} is one the kernel follows: a path from the union's root
   * ("/a/b") or one name (the entry's old name in the same directory).
   */
  static boolean isRedirect(String redirect) {
    String path = redirect.startsWith("/") ? redirect.substring(1) : redirect;
    if (path.isEmpty() || (!redirect.startsWith("/") && path.indexOf('/') >= 0)) {
      return false;
    }
    try {
      check(path);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
