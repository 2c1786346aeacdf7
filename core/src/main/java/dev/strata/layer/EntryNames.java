package dev.strata.layer;

import dev.strata.host.Names;
import dev.strata.overlay.Whiteouts;

/**
 * Turns a tar entry name into a normalized relative path, refusing names that could escape or
 * that no Linux filesystem can hold.
 */
final class EntryNames {
  private EntryNames() {}

  /**
   * Returns {@code raw} without {@code ./} prefixes, empty or {@code .} components and trailing
   * slashes; the root is "". Refuses absolute names, {@code ..} components, NUL bytes and
   * components longer than NAME_MAX (255 bytes; a whiteout's {@code .wh.} prefix aside, since
   * the name it deletes is what a filesystem holds): a mount could not list such a name, and
   * umoci and GNU tar cannot extract it.
   */
  static String normalize(String raw) throws UnsafeLayerException {
    return normalize(raw, raw, "");
  }

  /**
   * Returns the target of hard link {@code entry} normalized as {@link #normalize(String)}
   * normalizes a name (it names a file of the layer), refused for the same reasons, the error
   * naming the link's entry and then its target.
   */
  static String normalizeLinkTarget(String entry, String target) throws UnsafeLayerException {
    String what = "hard link target '" + UnsafeLayerException.printable(String.valueOf(target)) + "': ";
    return normalize(target, entry, what);
  }

  private static String normalize(String raw, String entry, String what) throws UnsafeLayerException {
    if (raw == null || raw.isEmpty()) {
      throw UnsafeLayerException.entry(String.valueOf(entry), what + "empty name");
    }
    if (raw.indexOf('\0') >= 0) {
      throw UnsafeLayerException.entry(entry, what + "name contains a NUL byte");
    }
    if (raw.startsWith("/")) {
      throw UnsafeLayerException.entry(entry, what + "absolute path");
    }
    StringBuilder out = new StringBuilder(raw.length());
    int start = 0;
    while (start <= raw.length()) {
      int slash = raw.indexOf('/', start);
      int end = slash < 0 ? raw.length() : slash;
      String part = raw.substring(start, end);
      if (part.equals("..")) {
        throw UnsafeLayerException.entry(entry, what + "path contains '..'");
      }
      int length = Names.length(part);
      if (length > Names.NAME_MAX && !(slash < 0 && Whiteouts.isWhiteoutName(part)
          && length - Whiteouts.PREFIX.length() <= Names.NAME_MAX)) {
        throw UnsafeLayerException.entry(entry, what + "a name of " + length + " bytes, longer than the "
            + Names.NAME_MAX + " a Linux filesystem holds");
      }
      if (!part.isEmpty() && !part.equals(".")) {
        if (out.length() > 0) {
          out.append('/');
        }
        out.append(part);
      }
      if (slash < 0) {
        break;
      }
      start = slash + 1;
    }
    return out.toString();
  }
}
