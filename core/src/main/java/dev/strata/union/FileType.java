package dev.strata.union;

/** The type of a file as stat(2) reports it, plus the whiteout that only layers hold. */
public enum FileType {
  REGULAR(0100000, 8),
  DIRECTORY(0040000, 4),
  SYMLINK(0120000, 10),
  CHAR_DEVICE(0020000, 2),
  BLOCK_DEVICE(0060000, 6),
  FIFO(0010000, 1),
  SOCKET(0140000, 12),
  /** A layer's mark that the name is deleted from the layers below; never shown in the union. */
  WHITEOUT(0020000, 2);

  private final int modeBits;
  private final int direntType;

  FileType(int modeBits, int direntType) {
    this.modeBits = modeBits;
    this.direntType = direntType;
  }

  /** Returns the S_IFMT bits of this type. */
  public int modeBits() {
    return modeBits;
  }

  /** Returns the d_type readdir(3) reports (DT_REG, DT_DIR, ...). */
  public int direntType() {
    return direntType;
  }

  /** Returns the type whose S_IFMT bits are in {@code mode}. */
  public static FileType ofMode(int mode) {
    return switch (mode & 0170000) {
      case 0100000 -> REGULAR;
      case 0040000 -> DIRECTORY;
      case 0120000 -> SYMLINK;
      case 0020000 -> CHAR_DEVICE;
      case 0060000 -> BLOCK_DEVICE;
      case 0010000 -> FIFO;
      case 0140000 -> SOCKET;
      default -> throw new IllegalArgumentException("unknown file type in mode " + Integer.toOctalString(mode));
    };
  }
}
