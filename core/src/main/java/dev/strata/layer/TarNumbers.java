package dev.strata.layer;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The numbers of a tar header and of PAX records, read as GNU tar reads them where every reader
 * agrees, and refused where they do not: GNU tar stops an octal field at its first NUL or space,
 * Python's tarfile at its first NUL, the tar library at neither, so a field is octal digits
 * between optional leading spaces and trailing NULs or spaces, or GNU's base-256; anything else
 * is refused with the reason, which the caller puts beside the entry and the field.
 */
final class TarNumbers {
  /** 2^32 - 1: owners are unsigned 32-bit numbers, and GNU tar refuses more. */
  static final long MAX_ID = 0xffff_ffffL;

  private TarNumbers() {}

  /** A field or record that is not a number, with what is wrong with it. */
  static final class NotANumber extends Exception {
    NotANumber(String reason) {
      super(reason, null, false, false);
    }
  }

  /** Returns the number in {@code length} bytes of {@code block} at {@code offset}. */
  static long field(byte[] block, int offset, int length) throws NotANumber {
    int first = block[offset] & 0xff;
    if ((first & 0x80) != 0) {
      return base256(block, offset, length);
    }
    int end = offset + length;
    int i = offset;
    while (i < end && block[i] == ' ') {
      i++;
    }
    if (i == end) {
      // GNU tar: "Blanks in header where numeric value expected".
      throw new NotANumber("blanks where a number belongs");
    }
    long value = 0;
    int digits = 0;
    for (; i < end && block[i] >= '0' && block[i] <= '7'; i++, digits++) {
      if (value > (Long.MAX_VALUE >> 3)) {
        throw new NotANumber("a number past 2^63");
      }
      value = (value << 3) | (block[i] - '0');
    }
    if (i < end && (block[i] == '8' || block[i] == '9')) {
      throw new NotANumber("an octal number with the digit '" + (char) block[i] + "'");
    }
    for (; i < end; i++) {
      if (block[i] != 0 && block[i] != ' ') {
        // GNU tar stops at the first NUL or space, Python's tarfile at the first NUL only.
        throw new NotANumber("not an octal number" + (digits > 0 ? " (more after its end)" : ""));
      }
    }
    return value;
  }

  /**
   * GNU's base-256: 0x80 then a big-endian number, or 0xff then a negative one in two's
   * complement. Other marker bytes are read three ways by three readers.
   */
  private static long base256(byte[] block, int offset, int length) throws NotANumber {
    int first = block[offset] & 0xff;
    if (first != 0x80 && first != 0xff) {
      throw new NotANumber("a base-256 marker byte of 0x" + Integer.toHexString(first) + ", neither 0x80 nor 0xff");
    }
    byte[] bytes = Arrays.copyOfRange(block, offset, offset + length);
    bytes[0] = (byte) (first == 0x80 ? 0 : 0xff);
    BigInteger value = new BigInteger(bytes);
    if (value.bitLength() > 63) {
      throw new NotANumber("a base-256 number beyond 64 bits");
    }
    return value.longValue();
  }

  /** Returns the text of a field for a message: its bytes up to the first NUL, escaped. */
  static String shown(byte[] block, int offset, int length) {
    if ((block[offset] & 0x80) != 0) {
      StringBuilder hex = new StringBuilder("0x");
      for (int i = offset; i < offset + length; i++) {
        hex.append(String.format("%02x", block[i] & 0xff));
      }
      return hex.toString();
    }
    int end = offset;
    while (end < offset + length && block[end] != 0) {
      end++;
    }
    return new String(block, offset, end - offset, StandardCharsets.ISO_8859_1);
  }

  /** Returns a PAX record's decimal value, digits only, at most {@code max}. */
  static long decimal(byte[] value, long max) throws NotANumber {
    if (value.length == 0) {
      throw new NotANumber("an empty value");
    }
    long n = 0;
    for (byte b : value) {
      if (b < '0' || b > '9') {
        throw new NotANumber(b == '-' ? "a negative number" : "not a decimal number");
      }
      if (n > (max - (b - '0')) / 10) {
        throw new NotANumber("a number past " + max);
      }
      n = n * 10 + (b - '0');
    }
    return n;
  }

  /**
   * Returns a PAX time, {@code [-]SECONDS[.FRACTION]}, as seconds and nanoseconds at or after
   * them (-1.5 is -2 s + 0.5 s), the fraction cut after nine digits.
   */
  static long[] time(byte[] value) throws NotANumber {
    String text = new String(value, StandardCharsets.ISO_8859_1);
    if (!text.matches("-?[0-9]+(\\.[0-9]+)?")) {
      throw new NotANumber("not a time of the form SECONDS[.FRACTION]");
    }
    boolean negative = text.startsWith("-");
    int dot = text.indexOf('.');
    String whole = text.substring(negative ? 1 : 0, dot < 0 ? text.length() : dot);
    String fraction = dot < 0 ? "" : (text.substring(dot + 1) + "000000000").substring(0, 9);
    long seconds;
    try {
      seconds = Long.parseLong(whole);
    } catch (NumberFormatException e) {
      throw new NotANumber("a time past 2^63 seconds");
    }
    long nanos = fraction.isEmpty() ? 0 : Long.parseLong(fraction);
    if (negative) {
      seconds = -seconds;
      if (nanos > 0) {
        seconds -= 1;
        nanos = 1_000_000_000L - nanos;
      }
    }
    return new long[] {seconds, nanos};
  }
}
