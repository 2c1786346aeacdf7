package dev.strata.build;

import dev.strata.host.Names;

/**
 * Turns the paths a builder is given ({@code /usr/share/doc}, {@code app/}, {@code ./etc}) into
 * the relative, normalized paths of layer entries ("" for the root), refusing what no layer may
 * hold: {@code ..}, NUL bytes, names longer than a filesystem's.
 */
final class ImagePaths {
  private ImagePaths() {}

  static String normalize(String path) {
    if (path == null || path.isEmpty()) {
      throw new IllegalArgumentException("empty path");
    }
    StringBuilder out = new StringBuilder();
    for (String part : path.split("/", -1)) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        throw new IllegalArgumentException("'" + Names.printable(path) + "': a path in an image may not hold '..'");
      }
      if (part.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("'" + Names.printable(path) + "': a name may not hold a NUL byte");
      }
      if (Names.length(part) > Names.NAME_MAX) {
        throw new IllegalArgumentException("'" + Names.printable(path) + "': a name longer than " + Names.NAME_MAX
            + " bytes");
      }
      if (out.length() > 0) {
        out.append('/');
      }
      out.append(part);
    }
    return out.toString();
  }
}
