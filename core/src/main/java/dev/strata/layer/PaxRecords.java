package dev.strata.layer;

import com.google.common.collect.ImmutableSortedMap;
import dev.strata.host.Names;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The records of a raw PAX extended header, "LENGTH KEY=VALUE\n", with their values as the
 * bytes the header holds: the tar library decodes every value as UTF-8, which corrupts binary
 * xattr values such as {@code security.capability} and names that are not UTF-8 (a
 * {@code path} under {@code hdrcharset=BINARY}, or written by a tool that does not convert:
 * GNU tar and Go's archive/tar write a name's bytes as they are, and read them so).
 */
final class PaxRecords {
  private static final String SCHILY = "SCHILY.xattr.";
  private static final String LIBARCHIVE = "LIBARCHIVE.xattr.";

  private PaxRecords() {}

  /**
   * Returns the records of {@code pax}, the data of the PAX header at byte {@code at}, in order,
   * keys in {@link Names}' form; a later record of a key replaces an earlier one, as readers
   * apply them. Null gives none. Data that is not records from end to end is refused: GNU tar
   * refuses it, Python's tarfile and the tar library keep what they could read before the
   * damage, each its own part.
   */
  static Map<String, byte[]> parse(byte[] pax, long at) throws UnsafeLayerException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    if (pax == null) {
      return out;
    }
    int pos = 0;
    while (pos < pax.length) {
      int space = indexOf(pax, (byte) ' ', pos);
      String length = space < 0 ? "" : new String(pax, pos, space - pos, StandardCharsets.ISO_8859_1);
      if (!length.matches("[0-9]{1,9}")) {
        throw malformed(at, pos, "its length '" + UnsafeLayerException.printable(length.isEmpty()
            ? Names.decode(pax, pos, Math.min(20, pax.length - pos)) : length) + "' is not a number");
      }
      int end = pos + Integer.parseInt(length);
      if (end > pax.length || end <= space + 1) {
        throw malformed(at, pos, "its length " + length + " does not fit the " + (pax.length - pos)
            + " bytes left in the header");
      }
      if (pax[end - 1] != '\n') {
        throw malformed(at, pos, "it does not end in a newline where its length " + length + " says");
      }
      int eq = indexOf(pax, (byte) '=', space + 1);
      if (eq < 0 || eq >= end - 1 || eq == space + 1) {
        throw malformed(at, pos, "it is not KEY=VALUE");
      }
      out.put(Names.decode(pax, space + 1, eq - space - 1), Arrays.copyOfRange(pax, eq + 1, end - 1));
      pos = end;
    }
    return out;
  }

  private static UnsafeLayerException malformed(long at, int pos, String problem) {
    return new UnsafeLayerException("tar header at byte " + at + ": the PAX record at byte " + pos
        + " of its data is malformed: " + problem);
  }

  /**
   * Returns the extended attributes among {@code records}: {@code SCHILY.xattr.NAME=raw bytes}
   * (GNU tar, Go, Docker) and {@code LIBARCHIVE.xattr.NAME=base64} (bsdtar, NAME URL-encoded).
   */
  static ImmutableSortedMap<String, Bytes> xattrs(Map<String, byte[]> records) {
    Map<String, Bytes> out = new TreeMap<>();
    for (Map.Entry<String, byte[]> r : records.entrySet()) {
      String key = r.getKey();
      if (key.startsWith(SCHILY)) {
        out.put(key.substring(SCHILY.length()), Bytes.copyOf(r.getValue()));
      }
    }
    for (Map.Entry<String, byte[]> r : records.entrySet()) {
      String key = r.getKey();
      if (key.startsWith(LIBARCHIVE)) {
        try {
          String name = percentDecoded(key.substring(LIBARCHIVE.length()));
          out.putIfAbsent(name, Bytes.copyOf(Base64.getDecoder().decode(r.getValue())));
        } catch (IllegalArgumentException e) {
          // Not valid base64: skip this one attribute rather than the layer.
        }
      }
    }
    return ImmutableSortedMap.copyOf(out);
  }

  /**
   * Returns the name libarchive wrote with each byte outside 33..126, {@code %} and {@code =} as
   * {@code %XX}: the escapes are bytes, and no other character is one ({@code +} stays a plus, as
   * libarchive's reader keeps it).
   */
  private static String percentDecoded(String escaped) {
    byte[] in = Names.encode(escaped);
    byte[] out = new byte[in.length];
    int n = 0;
    for (int i = 0; i < in.length; i++) {
      int hi = i + 2 < in.length && in[i] == '%' ? Character.digit(in[i + 1], 16) : -1;
      int lo = hi >= 0 ? Character.digit(in[i + 2], 16) : -1;
      if (lo >= 0) {
        out[n++] = (byte) (hi << 4 | lo);
        i += 2;
      } else {
        out[n++] = in[i];
      }
    }
    return Names.decode(out, 0, n);
  }

  private static int indexOf(byte[] a, byte b, int from) {
    for (int i = from; i < a.length; i++) {
      if (a[i] == b) {
        return i;
      }
    }
    return -1;
  }
}
