package dev.strata.layer;

import dev.strata.host.Names;
import dev.strata.overlay.Whiteouts;

/**
 * Decides what an entry is, in one place: its type flag says it, as GNU tar and the OCI image
 * spec read it, and its name only makes it a whiteout or an opaque marker. A name ending in '/'
 * never turns a type into another, but for the old convention every reader keeps: a regular-file
 * type with no data whose header names it with a trailing '/' is a directory.
 */
final class EntryTypes {
  private EntryTypes() {}

  /**
   * Returns the kind of the entry {@code e}, whose normalized path is {@code path}; with
   * {@code whiteouts}, a {@code .wh.} name is a layer's deletion, without it a file like others.
   */
  static EntryKind kindOf(TarEntryHeader e, String path, boolean whiteouts) throws UnsafeLayerException {
    String name = Paths.name(path);
    if (whiteouts && Whiteouts.isWhiteoutName(name)) {
      if (isDirectory(e)) {
        throw UnsafeLayerException.entry(e.name(), "a whiteout must not be a directory");
      }
      if (Whiteouts.isOpaqueMarker(name)) {
        return EntryKind.OPAQUE;
      }
      String invalid = Whiteouts.invalidReason(name);
      if (invalid != null) {
        throw UnsafeLayerException.entry(e.name(), invalid);
      }
      return EntryKind.WHITEOUT;
    }
    boolean directory = isDirectory(e);
    if (path.isEmpty() && !directory) {
      throw UnsafeLayerException.entry(e.name(), "the layer root must be a directory");
    }
    if (directory) {
      return EntryKind.DIRECTORY;
    }
    return switch (e.type()) {
      case '0', '\0', '7', 'S' -> EntryKind.FILE;
      case '1' -> EntryKind.HARDLINK;
      case '2' -> EntryKind.SYMLINK;
      case '3' -> EntryKind.CHAR_DEVICE;
      case '4' -> EntryKind.BLOCK_DEVICE;
      case '6' -> EntryKind.FIFO;
      // Volume labels, multi-volume parts, dump directories, vendor types: GNU tar and
      // tarfile extract the unknown ones as files, the known ones each its own way.
      default -> throw e.refused("unsupported tar entry type '" + typeShown(e.type()) + "'");
    };
  }

  /**
   * Whether an entry is a directory, as its type says: type '5', or a regular-file type with a
   * name ending in '/' and no bytes (the old BSD convention GNU tar and Python's tarfile keep).
   * The tar library calls every entry whose name ends in '/' a directory and reads its bytes as
   * the next headers, where GNU tar, tarfile and umoci skip them as a file's content: such an
   * entry with bytes would make Strata see other files than every other tool, so it is refused.
   * The convention is tarfile's only for the header's own name field, so a name from a PAX
   * record or a long-name header that ends in '/' is refused with a file type too.
   */
  private static boolean isDirectory(TarEntryHeader e) throws UnsafeLayerException {
    char type = e.type();
    if (type == '5') {
      return true;
    }
    if (!e.name().endsWith("/")) {
      return false;
    }
    if (type == '0' || type == '\0' || type == '7') {
      if (e.size() != 0) {
        throw UnsafeLayerException.entry(e.name(), "a file (type '" + typeShown(type) + "') whose name ends in '/'"
            + " holds " + e.size() + " bytes: GNU tar and umoci read them as its content, a reader that takes the"
            + " name for a directory as more entries");
      }
      if (!e.nameFromBlock()) {
        throw UnsafeLayerException.entry(e.name(), "a file (type '" + typeShown(type) + "') whose PAX or long name"
            + " ends in '/': GNU tar takes it for a directory, Python's tarfile for a file");
      }
      return true;
    }
    throw UnsafeLayerException.entry(e.name(), "an entry of type '" + typeShown(type) + "' whose name ends in '/'");
  }

  private static String typeShown(char type) {
    return type == 0 ? "\\0" : UnsafeLayerException.printable(Names.decode(new byte[] {(byte) type}));
  }
}
