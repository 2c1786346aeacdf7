package dev.strata.layer;

import dev.strata.host.Names;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One 512-byte tar header block, its fields decoded and checked: the checksum, every number
 * (for the metadata headers too, which Python's tarfile decodes as any other), and the name
 * with its ustar prefix. What a PAX or GNU long-name header changes is applied later, by
 * {@link TarHeaderGuard}; this is the block alone.
 *
 * @param at the block's byte offset in the uncompressed layer
 * @param type the type flag
 * @param name the name field, with the prefix field before it in a POSIX ustar header
 * @param linkName the link name field
 */
record TarHeader(long at, char type, String name, String linkName, int mode, long uid, long gid, long size,
    long mtime, String uname, String gname, int devMajor, int devMinor) {

  private static final byte[] POSIX_MAGIC = "ustar\0".getBytes(StandardCharsets.US_ASCII);

  /** Whether the type flag is one of the headers that describe the next entry rather than being one. */
  boolean isMetadata() {
    return type == 'x' || type == 'X' || type == 'g' || type == 'L' || type == 'K';
  }

  /**
   * Decodes {@code block}, read at byte {@code at}; {@code longName} is the name a GNU long-name
   * header gave the entry, if any, for messages.
   */
  static TarHeader parse(byte[] block, long at, String longName) throws UnsafeLayerException {
    checkChecksum(block, at);
    char type = (char) (block[156] & 0xff);
    String name = text(block, 0, 100);
    String prefix = text(block, 345, 155);
    boolean posix = Arrays.equals(block, 257, 263, POSIX_MAGIC, 0, 6);
    String shown = longName != null ? longName : prefix.isEmpty() || !posix ? name : prefix + "/" + name;
    if (!prefix.isEmpty() && type != 'S') {
      if (!posix) {
        // GNU tar takes the prefix field only in a POSIX ustar header, Python's tarfile in any.
        throw refusal(shown, at, "a prefix field '" + UnsafeLayerException.printable(prefix)
            + "' in a header that is not POSIX ustar: readers disagree on whether it is part of the name");
      }
      if (block[508] == 't' && block[509] == 'a' && block[510] == 'r' && block[511] == 0) {
        throw refusal(shown, at, "a prefix field in a star header, whose prefix is shorter than ustar's");
      }
    }
    long size = number(block, 124, 12, "size", shown, at, Long.MAX_VALUE);
    return new TarHeader(at, type, shown, text(block, 157, 100),
        (int) number(block, 100, 8, "mode", shown, at, 07777777),
        number(block, 108, 8, "uid", shown, at, TarNumbers.MAX_ID),
        number(block, 116, 8, "gid", shown, at, TarNumbers.MAX_ID), size,
        number(block, 136, 12, "mtime", shown, at, Long.MAX_VALUE, Long.MIN_VALUE),
        text(block, 265, 32), text(block, 297, 32),
        (int) number(block, 329, 8, "devmajor", shown, at, Integer.MAX_VALUE),
        (int) number(block, 337, 8, "devminor", shown, at, Integer.MAX_VALUE));
  }

  /** A refusal of the entry this header begins, under the name the headers before it gave. */
  UnsafeLayerException refusalOf(String entryName, String problem) {
    return refusal(entryName, at, problem);
  }

  /** Returns the message of a refused entry: its name, where its header is, and the problem. */
  static UnsafeLayerException refusal(String name, long at, String problem) {
    return new UnsafeLayerException(where(name, at) + ": " + problem);
  }

  /** Names an entry and the byte its header starts at, or only the byte when no name is known. */
  static String where(String name, long at) {
    return name == null || name.isEmpty() ? "tar header at byte " + at
        : "entry '" + UnsafeLayerException.printable(name) + "' (tar header at byte " + at + ")";
  }

  private static long number(byte[] block, int offset, int length, String field, String name, long at, long max)
      throws UnsafeLayerException {
    return number(block, offset, length, field, name, at, max, 0);
  }

  private static long number(byte[] block, int offset, int length, String field, String name, long at, long max,
      long min) throws UnsafeLayerException {
    long value;
    try {
      value = TarNumbers.field(block, offset, length);
    } catch (TarNumbers.NotANumber e) {
      throw refusal(name, at, "its " + field + " field '" + UnsafeLayerException.printable(
          TarNumbers.shown(block, offset, length)) + "' is " + e.getMessage());
    }
    if (value < min || value > max) {
      throw refusal(name, at, "its " + field + " field holds " + value + ", outside " + min + ".." + max);
    }
    return value;
  }

  /**
   * Refuses a block whose checksum field is not the sum of its bytes, read as unsigned (POSIX)
   * or as signed (old Sun tar), as GNU tar and Python's tarfile both accept: a block that is not
   * a header must never be read as one (the tar library does not check).
   */
  private static void checkChecksum(byte[] block, long at) throws UnsafeLayerException {
    long stored;
    try {
      stored = TarNumbers.field(block, 148, 8);
    } catch (TarNumbers.NotANumber e) {
      throw new UnsafeLayerException("tar header block at byte " + at + ": its checksum field '"
          + UnsafeLayerException.printable(TarNumbers.shown(block, 148, 8)) + "' is " + e.getMessage());
    }
    long unsigned = 0;
    long signed = 0;
    for (int i = 0; i < block.length; i++) {
      int v = (i >= 148 && i < 156) ? ' ' : block[i];
      unsigned += v & 0xff;
      signed += v;
    }
    if (stored != unsigned && stored != signed) {
      throw new UnsafeLayerException("corrupt tar header block at byte " + at + ": its checksum does not match (the"
          + " field says " + stored + ", the block sums to " + unsigned + ")");
    }
  }

  /** A text field: its bytes up to the first NUL, in {@link Names}' form. */
  private static String text(byte[] block, int offset, int length) {
    int end = offset;
    while (end < offset + length && block[end] != 0) {
      end++;
    }
    return Names.decode(block, offset, end - offset);
  }
}
