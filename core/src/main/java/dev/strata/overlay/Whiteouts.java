package dev.strata.overlay;

import java.io.IOException;

/**
 * The rules by which a layer deletes what the layers below it hold, in the two formats Strata
 * reads and writes.
 *
 * <ul>
 *   <li>OCI image-spec layers (a layer tar): an empty file {@code .wh.NAME} deletes NAME from the
 *       layers below, and {@code .wh..wh..opq} makes its directory opaque, hiding all that the
 *       layers below hold in it. Other {@code .wh..wh.*} names are AUFS's own metadata. A name
 *       that starts with {@code .wh.} is never a file of its own.
 *   <li>Linux overlayfs directories (uppers, and lowers in the kernel's format): a whiteout is a
 *       character device 0/0, and overlay xattrs mark a directory opaque ({@code opaque} = "y"),
 *       a zero-size file a whiteout ({@code whiteout}), a renamed entry ({@code redirect}) and a
 *       metadata-only copy ({@code metacopy}). They live under {@code trusted.overlay.}, which
 *       needs CAP_SYS_ADMIN, or under {@code user.overlay.}, the kernel's {@code userxattr}
 *       option for unprivileged mounts. fuse-overlayfs without privileges writes {@code .wh.NAME}
 *       files there too.
 * </ul>
 *
 * <p>Stacked, a layer hides a path of the layers below when it whites out the path or one of its
 * parents, or marks a parent opaque ({@link #hides}).
 *
 * <p>They live here, in one place, because every reader and writer of layers must agree on them
 * to the byte: the tar reader, the tar writer, the store's index, the union's lower and upper
 * directories, the commit of an upper, hard links resolved through the layers. A rule coded
 * twice drifts, and a whiteout one part honours and another misses shows a deleted file. The
 * class is public only because those parts are in several packages; it depends on none of them.
 */
public final class Whiteouts {
  /** The OCI prefix of a whiteout: {@code .wh.NAME} deletes NAME. */
  public static final String PREFIX = ".wh.";
  /** The OCI opaque marker: its directory hides what the layers below hold in it. */
  public static final String OPAQUE_MARKER = ".wh..wh..opq";

  /** The xattr namespace of overlayfs's own marks, under {@code trusted.} or {@code user.}. */
  public static final String XATTR_NAMESPACE = "overlay.";
  /** Overlay xattrs as the privileged kernel mount keeps them (CAP_SYS_ADMIN). */
  public static final String TRUSTED_XATTRS = "trusted." + XATTR_NAMESPACE;
  /** Overlay xattrs as a mount with {@code userxattr} keeps them (unprivileged). */
  public static final String USER_XATTRS = "user." + XATTR_NAMESPACE;
  /** A directory whose value is "y" hides what the layers below hold in it. */
  public static final String XATTR_OPAQUE = "opaque";
  /** A zero-size regular file with it is a whiteout. */
  public static final String XATTR_WHITEOUT = "whiteout";
  /** The name or path (from the union's root) the entry had in the layers below. */
  public static final String XATTR_REDIRECT = "redirect";
  /** The file holds metadata only; its data is the layers' below. */
  public static final String XATTR_METACOPY = "metacopy";
  /** The kernel's whiteout is a character device with this major and minor number. */
  public static final int DEVICE_NUMBER = 0;

  private Whiteouts() {}

  /** Returns the name of the whiteout that deletes {@code name}: {@code .wh.NAME}. */
  public static String whiteoutName(String name) {
    return PREFIX + name;
  }

  /** Returns the path of the whiteout of {@code name} in directory {@code dir} ("" the root). */
  public static String whiteoutPath(String dir, String name) {
    return join(dir, whiteoutName(name));
  }

  /** Returns the path of the opaque marker of directory {@code dir} ("" the root). */
  public static String opaqueMarkerPath(String dir) {
    return join(dir, OPAQUE_MARKER);
  }

  /**
   * Returns whether {@code name} (one name, no slash) belongs to the whiteout format: a whiteout,
   * the opaque marker or AUFS metadata, never a file of its own.
   */
  public static boolean isWhiteoutName(String name) {
    return name.startsWith(PREFIX);
  }

  /** Returns whether {@code name} is the opaque marker. */
  public static boolean isOpaqueMarker(String name) {
    return name.equals(OPAQUE_MARKER);
  }

  /** Returns the name that the whiteout {@code whiteoutName} deletes: NAME of {@code .wh.NAME}. */
  public static String deletedName(String whiteoutName) {
    return whiteoutName.substring(PREFIX.length());
  }

  /**
   * Returns why the whiteout name {@code whiteoutName} deletes no file a layer may delete, or
   * null if it is a valid whiteout or the opaque marker: it names nothing ({@code .wh.} alone),
   * "." or "..", or it is AUFS's own metadata ({@code .wh..wh.*}), which OCI layers must not use.
   */
  public static String invalidReason(String whiteoutName) {
    if (isOpaqueMarker(whiteoutName)) {
      return null;
    }
    String target = deletedName(whiteoutName);
    if (target.isEmpty()) {
      return "whiteout names no file ('" + PREFIX + "' alone)";
    }
    if (target.equals(".") || target.equals("..")) {
      return "whiteout of '" + target + "'";
    }
    if (isWhiteoutName(target)) {
      return "unsupported AUFS metadata entry";
    }
    return null;
  }

  /** Returns the prefix of overlay xattrs: {@code trusted.overlay.}, else {@code user.overlay.}. */
  public static String xattrPrefix(boolean trusted) {
    return trusted ? TRUSTED_XATTRS : USER_XATTRS;
  }

  /** Returns whether the xattr {@code name} is overlayfs's own, in either convention. */
  public static boolean isOverlayXattr(String name) {
    return name.startsWith(TRUSTED_XATTRS) || name.startsWith(USER_XATTRS);
  }

  /**
   * Returns the name a user's xattr is kept under in an upper whose overlay xattrs have
   * {@code prefix}: one in the overlay's namespace is escaped, {@code overlay.X} to
   * {@code overlay.overlay.X} (overlayfs since Linux 6.7, so that overlays nest), and so never
   * reads or writes the overlay's own marks.
   */
  public static String escapeXattr(String prefix, String name) {
    return name.startsWith(prefix) ? prefix + XATTR_NAMESPACE + name.substring(prefix.length()) : name;
  }

  /**
   * Returns the name a user sees for the kept xattr {@code kept} (see {@link #escapeXattr}); null
   * for the overlay's own marks, which are hidden.
   */
  public static String unescapeXattr(String prefix, String kept) {
    if (!kept.startsWith(prefix)) {
      return kept;
    }
    String rest = kept.substring(prefix.length());
    return rest.startsWith(XATTR_NAMESPACE) ? prefix + rest.substring(XATTR_NAMESPACE.length()) : null;
  }

  /** Returns whether a file is the kernel's whiteout: a character device numbered 0/0. */
  public static boolean isWhiteoutDevice(boolean charDevice, int major, int minor) {
    return charDevice && major == DEVICE_NUMBER && minor == DEVICE_NUMBER;
  }

  /** A layer in the OCI format, asked by path whether it holds an entry there. */
  @FunctionalInterface
  public interface Layer {
    /** Returns whether the layer holds an entry at {@code path}, a whiteout or marker too. */
    boolean has(String path) throws IOException;
  }

  /**
   * Returns whether {@code layer} hides {@code path} of the layers below it: it holds a whiteout
   * of the path or of one of its parents, or an opaque marker in one of its parents. An opaque
   * marker in the path itself hides only what is in it.
   */
  public static boolean hides(Layer layer, String path) throws IOException {
    for (String p = path; !p.isEmpty(); ) {
      int slash = p.lastIndexOf('/');
      String parent = slash < 0 ? "" : p.substring(0, slash);
      if (layer.has(whiteoutPath(parent, p.substring(slash + 1)))) {
        return true;
      }
      if (!p.equals(path) && layer.has(opaqueMarkerPath(p))) {
        return true;
      }
      p = parent;
    }
    return false;
  }

  private static String join(String dir, String name) {
    return dir.isEmpty() ? name : dir + "/" + name;
  }
}
