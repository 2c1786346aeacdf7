package dev.strata.host;

import java.nio.charset.Charset;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * File names as Linux has them: any bytes but {@code /} and NUL, whatever the locale. Strata
 * carries a name as a Java string, and this is the one place that turns bytes into such a
 * string and back, the same way everywhere (layer ingest, the layer index, the engine, both
 * FUSE transports, the host calls, tar writing).
 *
 * <p>The mapping is lossless for every byte sequence: bytes that form valid UTF-8 become the
 * characters they encode, and each byte that does not becomes the lone surrogate
 * {@code U+DC00 + byte} (U+DC80..U+DCFF), which no valid UTF-8 can produce; encoding reverses
 * both. It is the "surrogateescape" scheme of Python's {@code os.fsdecode}, so a name that is
 * valid UTF-8 reads as itself everywhere, and one that is not still reaches the host byte for
 * byte. The JDK's own conversions cannot be used: they depend on the process's locale (with
 * {@code LANG} unset, every non-ASCII byte becomes {@code ?}) and lose invalid bytes.
 */
public final class Names {
  /** The longest name a Linux filesystem takes, in bytes. */
  public static final int NAME_MAX = 255;
  /** The longest path a Linux system call takes, in bytes, its terminating NUL included. */
  public static final int PATH_MAX = 4096;

  /**
   * The charset the JDK turns file names, paths and its command line into strings with (from
   * the locale it started in): to pass a {@link java.nio.file.Path} to the host as the JDK
   * itself would, or to read bytes as the JDK would have read them as arguments.
   */
  public static Charset jdkCharset() {
    String name = System.getProperty("sun.jnu.encoding");
    return name != null && Charset.isSupported(name) ? Charset.forName(name) : Charset.defaultCharset();
  }

  /**
   * Returns the last name of {@code path} as the host holds it (the bytes the JDK passes for
   * it, decoded as {@link #decode} decodes names), for the calls that take names as strings.
   */
  public static String fileName(java.nio.file.Path path) {
    java.nio.file.Path name = path.getFileName();
    return name == null ? "" : decode(name.toString().getBytes(jdkCharset()));
  }

  /**
   * The NUL-terminated byte strings of {@code bytes}, as a command line in /proc/PID/cmdline is
   * kept (bytes after the last NUL are not a string).
   */
  public static List<byte[]> nulTerminated(byte[] bytes) {
    List<byte[]> out = new ArrayList<>();
    int from = 0;
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == 0) {
        out.add(Arrays.copyOfRange(bytes, from, i));
        from = i + 1;
      }
    }
    return out;
  }

  private static final int ESCAPE = 0xDC00;

  /**
   * Names in the order of their bytes, unsigned, as {@code strcmp}, {@code LC_ALL=C ls} and GNU
   * tar's {@code --sort=name} sort them. A string's own order differs once names hold
   * characters past U+E000 or bytes that are not UTF-8: it sorts UTF-16 code units.
   */
  public static final Comparator<String> BYTE_ORDER = Names::compare;

  private Names() {}

  /** Compares {@code a} and {@code b} by their bytes, unsigned. */
  public static int compare(String a, String b) {
    int n = Math.min(a.length(), b.length());
    int i = 0;
    while (i < n && a.charAt(i) == b.charAt(i)) {
      i++;
    }
    if (i == n) {
      return Integer.compare(a.length(), b.length());
    }
    if (i > 0 && Character.isHighSurrogate(a.charAt(i - 1))) {
      i--; // the low halves of two pairs differ: compare the characters whole
    }
    int x = a.codePointAt(i);
    int y = b.codePointAt(i);
    boolean escapedX = x <= 0xffff && isEscape((char) x);
    boolean escapedY = y <= 0xffff && isEscape((char) y);
    if (escapedX == escapedY) {
      // UTF-8 keeps the order of code points; two escapes are their bytes.
      return Integer.compare(x, y);
    }
    int lead = Integer.compare(escapedX ? x & 0xff : leadByte(x), escapedY ? y & 0xff : leadByte(y));
    if (lead != 0) {
      return lead;
    }
    // A byte that is not UTF-8 against a character starting with it: rare enough to encode.
    // Encoding is character by character, so the equal prefix has equal bytes.
    return Arrays.compareUnsigned(encode(a.substring(i)), encode(b.substring(i)));
  }

  private static int leadByte(int cp) {
    if (cp < 0x80) {
      return cp;
    } else if (cp < 0x800) {
      return 0xc0 | cp >> 6;
    } else if (cp < 0x10000) {
      return 0xe0 | cp >> 12;
    }
    return 0xf0 | cp >> 18;
  }

  /** Returns the name of {@code bytes}. */
  public static String decode(byte[] bytes) {
    return decode(bytes, 0, bytes.length);
  }

  /** Returns the name of {@code length} bytes of {@code bytes} from {@code offset}. */
  public static String decode(byte[] bytes, int offset, int length) {
    int end = offset + length;
    int i = offset;
    while (i < end && bytes[i] >= 0) {
      i++;
    }
    if (i == end) {
      return new String(bytes, offset, length, StandardCharsets.ISO_8859_1); // ASCII: the common case
    }
    StringBuilder out = new StringBuilder(length);
    for (int k = offset; k < i; k++) {
      out.append((char) bytes[k]);
    }
    while (i < end) {
      int b = bytes[i] & 0xff;
      if (b < 0x80) {
        out.append((char) b);
        i++;
        continue;
      }
      int n = sequenceLength(bytes, i, end);
      if (n == 0) {
        out.append((char) (ESCAPE | b));
        i++;
        continue;
      }
      int cp = b & (0xff >> (n + 1));
      for (int k = 1; k < n; k++) {
        cp = (cp << 6) | (bytes[i + k] & 0x3f);
      }
      out.appendCodePoint(cp);
      i += n;
    }
    return out.toString();
  }

  /**
   * Returns the length of the valid UTF-8 sequence that starts at {@code i} (a byte of 0x80 or
   * more), or 0 if none does: no overlong forms, no surrogates, nothing past U+10FFFF (RFC 3629).
   */
  private static int sequenceLength(byte[] b, int i, int end) {
    int b0 = b[i] & 0xff;
    int n;
    int min2;
    int max2;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      n = 2;
      min2 = 0x80;
      max2 = 0xbf;
    } else if (b0 == 0xe0) {
      n = 3;
      min2 = 0xa0;
      max2 = 0xbf;
    } else if (b0 >= 0xe1 && b0 <= 0xec || b0 == 0xee || b0 == 0xef) {
      n = 3;
      min2 = 0x80;
      max2 = 0xbf;
    } else if (b0 == 0xed) {
      n = 3;
      min2 = 0x80;
      max2 = 0x9f; // not the surrogates
    } else if (b0 == 0xf0) {
      n = 4;
      min2 = 0x90;
      max2 = 0xbf;
    } else if (b0 >= 0xf1 && b0 <= 0xf3) {
      n = 4;
      min2 = 0x80;
      max2 = 0xbf;
    } else if (b0 == 0xf4) {
      n = 4;
      min2 = 0x80;
      max2 = 0x8f;
    } else {
      return 0;
    }
    if (i + n > end) {
      return 0;
    }
    int b1 = b[i + 1] & 0xff;
    if (b1 < min2 || b1 > max2) {
      return 0;
    }
    for (int k = 2; k < n; k++) {
      int c = b[i + k] & 0xff;
      if (c < 0x80 || c > 0xbf) {
        return 0;
      }
    }
    return n;
  }

  /**
   * Returns the bytes of {@code name}. A lone surrogate other than an escaped byte cannot come
   * from {@link #decode}; it is refused rather than guessed at.
   *
   * @throws IllegalArgumentException for such a surrogate
   */
  public static byte[] encode(String name) {
    int n = name.length();
    boolean ascii = true;
    for (int i = 0; i < n; i++) {
      if (name.charAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return name.getBytes(StandardCharsets.ISO_8859_1);
    }
    byte[] out = new byte[length(name)];
    int at = 0;
    for (int i = 0; i < n; i++) {
      char c = name.charAt(i);
      if (c < 0x80) {
        out[at++] = (byte) c;
      } else if (isEscape(c)) {
        out[at++] = (byte) (c & 0xff);
      } else if (c < 0x800) {
        out[at++] = (byte) (0xc0 | (c >> 6));
        out[at++] = (byte) (0x80 | (c & 0x3f));
      } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(name.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, name.charAt(++i));
        out[at++] = (byte) (0xf0 | (cp >> 18));
        out[at++] = (byte) (0x80 | ((cp >> 12) & 0x3f));
        out[at++] = (byte) (0x80 | ((cp >> 6) & 0x3f));
        out[at++] = (byte) (0x80 | (cp & 0x3f));
      } else {
        out[at++] = (byte) (0xe0 | (c >> 12));
        out[at++] = (byte) (0x80 | ((c >> 6) & 0x3f));
        out[at++] = (byte) (0x80 | (c & 0x3f));
      }
    }
    return out;
  }

  /**
   * Returns how many bytes {@code name} has, without making them.
   *
   * @throws IllegalArgumentException for a lone surrogate that is not an escaped byte
   */
  public static int length(String name) {
    int n = name.length();
    int bytes = 0;
    for (int i = 0; i < n; i++) {
      char c = name.charAt(i);
      if (c < 0x80 || isEscape(c)) {
        bytes++;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(name.charAt(i + 1))) {
          bytes += 4;
          i++;
        } else {
          throw new IllegalArgumentException("a name holds an unpaired surrogate U+"
              + Integer.toHexString(c).toUpperCase() + ": " + printable(name));
        }
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  /**
   * Returns whether {@code c}, when not the second half of a surrogate pair, stands for a byte
   * that is not valid UTF-8.
   */
  public static boolean isEscape(char c) {
    return c >= 0xdc80 && c <= 0xdcff;
  }

  /** Returns whether the bytes of {@code name} are valid UTF-8 (it holds no escaped byte). */
  public static boolean isUtf8(String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < name.length() && Character.isLowSurrogate(name.charAt(i + 1))) {
        i++; // a pair: one character, whatever half of the escape range its low surrogate is in
      } else if (isEscape(c)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns {@code name} for a person to read, as GNU tar's {@code escape} quoting style writes
   * names: a backslash doubled, control characters as {@code \n}, {@code \t}, ... or octal
   * {@code \ooo}, and every byte that is not valid UTF-8 as octal; everything else as it is.
   * Unambiguous: two different names never read the same.
   */
  public static String printable(String name) {
    return printable(name, null);
  }

  /**
   * Returns {@code name} for a person to read on an output in {@code charset}: as
   * {@link #printable(String)}, and characters the charset cannot show as the octal escapes of
   * their bytes too (in the C locale, as GNU tar shows them there). A null charset shows all.
   */
  public static String printable(String name, Charset charset) {
    CharsetEncoder encoder = charset == null || charset.equals(StandardCharsets.UTF_8) ? null : charset.newEncoder();
    StringBuilder out = null;
    int n = name.length();
    for (int i = 0; i < n; ) {
      int cp = name.codePointAt(i);
      int width = Character.charCount(cp);
      String escaped = escape(cp, encoder);
      if (escaped != null && out == null) {
        out = new StringBuilder(n + 16).append(name, 0, i);
      }
      if (out != null) {
        if (escaped != null) {
          out.append(escaped);
        } else {
          out.appendCodePoint(cp);
        }
      }
      i += width;
    }
    return out == null ? name : out.toString();
  }

  private static String escape(int cp, CharsetEncoder encoder) {
    switch (cp) {
      case '\\':
        return "\\\\";
      case '\n':
        return "\\n";
      case '\t':
        return "\\t";
      case '\r':
        return "\\r";
      case 0x07:
        return "\\a";
      case '\b':
        return "\\b";
      case '\f':
        return "\\f";
      case 0x0b:
        return "\\v";
      default:
        break;
    }
    if (cp < 0x80 && cp >= 0x20 && cp != 0x7f) {
      return null;
    }
    if (cp <= 0xffff && Character.isSurrogate((char) cp) && !isEscape((char) cp)) {
      return String.format("\\u%04X", cp); // not a name's: no bytes stand behind it
    }
    boolean shown = !isEscape((char) Math.min(cp, 0xffff)) && !hidden(cp)
        && (encoder == null || encoder.canEncode(new String(Character.toChars(cp))));
    if (shown) {
      return null;
    }
    StringBuilder octal = new StringBuilder();
    for (byte b : encode(new String(Character.toChars(cp)))) {
      int v = b & 0xff;
      octal.append('\\').append((char) ('0' + (v >> 6))).append((char) ('0' + ((v >> 3) & 7)))
          .append((char) ('0' + (v & 7)));
    }
    return octal.toString();
  }

  /** Characters a terminal would not show as themselves: controls, format and separator marks. */
  private static boolean hidden(int cp) {
    int type = Character.getType(cp);
    return type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
        || type == Character.PARAGRAPH_SEPARATOR || type == Character.UNASSIGNED || type == Character.SURROGATE
        || type == Character.PRIVATE_USE;
  }
}
