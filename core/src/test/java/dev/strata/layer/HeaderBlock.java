package dev.strata.layer;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * One tar header block built field by field, each field's bytes exactly as given, the checksum
 * computed last unless a test sets it: for the headers no tar writer makes (sizes on links,
 * numbers in base-256 or with spaces, garbage where a number belongs).
 */
final class HeaderBlock {
  static final int BLOCK = 512;

  /** The ustar fields: offset and length in the block. */
  enum Field {
    NAME(0, 100), MODE(100, 8), UID(108, 8), GID(116, 8), SIZE(124, 12), MTIME(136, 12), CHKSUM(148, 8),
    LINKNAME(157, 100), MAGIC(257, 6), VERSION(263, 2), UNAME(265, 32), GNAME(297, 32), DEVMAJOR(329, 8),
    DEVMINOR(337, 8), PREFIX(345, 155);

    final int offset;
    final int length;

    Field(int offset, int length) {
      this.offset = offset;
      this.length = length;
    }
  }

  private final byte[] block = new byte[BLOCK];
  private byte[] checksum;
  private boolean signedChecksum;

  private HeaderBlock() {}

  /** A POSIX ustar header of {@code type} for {@code name}: mode 0644, owner 0, the builder's mtime. */
  static HeaderBlock ustar(String name, char type, long size) {
    HeaderBlock h = new HeaderBlock();
    h.set(Field.NAME, name.getBytes(UTF_8));
    h.octal(Field.MODE, type == '5' ? 0755 : 0644);
    h.octal(Field.UID, 0);
    h.octal(Field.GID, 0);
    h.octal(Field.SIZE, size);
    h.octal(Field.MTIME, TarBuilder.DEFAULT_MTIME.getEpochSecond());
    h.block[156] = (byte) type;
    h.set(Field.MAGIC, "ustar\0");
    h.set(Field.VERSION, "00");
    return h;
  }

  /** Writes {@code text} into {@code field}, NUL-filled after it. */
  HeaderBlock set(Field field, String text) {
    return set(field, text.getBytes(US_ASCII));
  }

  /** Writes {@code raw} into {@code field}, NUL-filled after it. */
  HeaderBlock set(Field field, byte[] raw) {
    if (raw.length > field.length) {
      throw new IllegalArgumentException(field + " holds " + field.length + " bytes, not " + raw.length);
    }
    Arrays.fill(block, field.offset, field.offset + field.length, (byte) 0);
    System.arraycopy(raw, 0, block, field.offset, raw.length);
    return this;
  }

  /** Writes {@code value} in octal, zero-padded, NUL-terminated, as ustar writers do. */
  HeaderBlock octal(Field field, long value) {
    return set(field, String.format("%0" + (field.length - 1) + "o", value));
  }

  /** Writes {@code value} in GNU's base-256: a marker byte, then big-endian two's complement. */
  HeaderBlock base256(Field field, long value) {
    byte[] raw = new byte[field.length];
    Arrays.fill(raw, (byte) (value < 0 ? 0xff : 0));
    for (int i = 0; i < 8 && i < raw.length - 1; i++) {
      raw[raw.length - 1 - i] = (byte) (value >>> (8 * i));
    }
    raw[0] = (byte) (value < 0 ? 0xff : 0x80);
    return set(field, raw);
  }

  /** Sets the type flag. */
  HeaderBlock type(char type) {
    block[156] = (byte) type;
    return this;
  }

  /** Keeps {@code raw} as the checksum field instead of the computed sum. */
  HeaderBlock checksum(String raw) {
    checksum = raw.getBytes(US_ASCII);
    return this;
  }

  /** Computes the checksum with the bytes taken as signed, as old Sun tar did. */
  HeaderBlock signedChecksum() {
    signedChecksum = true;
    return this;
  }

  /** Returns the block. */
  byte[] bytes() {
    byte[] out = block.clone();
    if (checksum != null) {
      Arrays.fill(out, Field.CHKSUM.offset, Field.CHKSUM.offset + 8, (byte) 0);
      System.arraycopy(checksum, 0, out, Field.CHKSUM.offset, checksum.length);
      return out;
    }
    Arrays.fill(out, Field.CHKSUM.offset, Field.CHKSUM.offset + 8, (byte) ' ');
    long sum = 0;
    for (byte b : out) {
      sum += signedChecksum ? b : b & 0xff;
    }
    byte[] text = String.format("%06o", sum).getBytes(US_ASCII);
    System.arraycopy(text, 0, out, Field.CHKSUM.offset, 6);
    out[Field.CHKSUM.offset + 6] = 0;
    return out;
  }

  /** Returns this header followed by {@code data} padded to whole blocks. */
  byte[] with(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(bytes());
    out.writeBytes(data);
    out.writeBytes(new byte[(BLOCK - data.length % BLOCK) % BLOCK]);
    return out.toByteArray();
  }

  /** Returns this header followed by {@code data} padded to whole blocks. */
  byte[] with(String data) {
    return with(data.getBytes(UTF_8));
  }
}
