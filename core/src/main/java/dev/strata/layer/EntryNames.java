package dev.strata.layer;

import dev.strata.host.Names;

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
    if (raw == null || raw.isEmpty()) {
      throw UnsafeLayerException.entry(String.valueOf(raw), "empty name");
    }
    if (raw.indexOf('\0') >= 0) {
      throw UnsafeLayerException.entry(raw, "name contains a NUL byte");
    }
    if (raw.startsWith("/")) {
      throw UnsafeLayerException.entry(raw, "absolute path");
    }
    StringBuilder out = new StringBuilder(raw.length());
    int start = 0;
    while (start <= raw.length()) {
      int slash = raw.indexOf('/', start);
      int end = slash < 0 ? raw.length() : slash;
      String part = raw.substring(start, end);
      if (part.equals("..")) {
        throw UnsafeLayerException.entry(raw, "path contains '..'");
      }
      int length = Names.length(part);
      if (length > Names.NAME_MAX && !(slash < 0 && part.startsWith(LayerEntry.WHITEOUT_PREFIX)
          && length - LayerEntry.WHITEOUT_PREFIX.length() <= Names.NAME_MAX)) {
        throw UnsafeLayerException.entry(raw, "a name of " + length + " bytes, longer than the " + Names.NAME_MAX
            + " a Linux filesystem holds");
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
