package dev.strata.layer;

import com.google.common.collect.ImmutableSortedMap;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;

/**
 * Extended attributes from a PAX header: {@code SCHILY.xattr.NAME=raw bytes} (GNU tar, Go,
 * Docker) and {@code LIBARCHIVE.xattr.NAME=base64} (bsdtar, NAME URL-encoded).
 */
final class PaxXattrs {
  private static final byte[] SCHILY = "SCHILY.xattr.".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LIBARCHIVE = "LIBARCHIVE.xattr.".getBytes(StandardCharsets.US_ASCII);

  private PaxXattrs() {}

  /** Parses the records "LENGTH KEY=VALUE\n" of a raw PAX header; null or malformed gives none. */
  static ImmutableSortedMap<String, Bytes> parse(byte[] pax) {
    if (pax == null || pax.length == 0) {
      return ImmutableSortedMap.of();
    }
    Map<String, Bytes> out = new TreeMap<>();
    int pos = 0;
    while (pos < pax.length) {
      int space = indexOf(pax, (byte) ' ', pos);
      if (space < 0) {
        break;
      }
      int length;
      try {
        length = Integer.parseInt(new String(pax, pos, space - pos, StandardCharsets.US_ASCII));
      } catch (NumberFormatException e) {
        break;
      }
      int end = pos + length;
      if (length <= 0 || end > pax.length || pax[end - 1] != '\n') {
        break;
      }
      int eq = indexOf(pax, (byte) '=', space + 1);
      if (eq < 0 || eq >= end) {
        break;
      }
      byte[] value = Arrays.copyOfRange(pax, eq + 1, end - 1);
      if (startsWith(pax, space + 1, SCHILY)) {
        String name = new String(pax, space + 1 + SCHILY.length, eq - space - 1 - SCHILY.length, StandardCharsets.UTF_8);
        out.put(name, Bytes.copyOf(value));
      } else if (startsWith(pax, space + 1, LIBARCHIVE)) {
        String encoded = new String(pax, space + 1 + LIBARCHIVE.length, eq - space - 1 - LIBARCHIVE.length, StandardCharsets.UTF_8);
        try {
          String name = URLDecoder.decode(encoded, StandardCharsets.UTF_8);
          out.putIfAbsent(name, Bytes.copyOf(Base64.getDecoder().decode(value)));
        } catch (IllegalArgumentException e) {
          // Not valid base64: skip this one attribute rather than the layer.
        }
      }
      pos = end;
    }
    return ImmutableSortedMap.copyOf(out);
  }

  private static int indexOf(byte[] a, byte b, int from) {
    for (int i = from; i < a.length; i++) {
      if (a[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static boolean startsWith(byte[] a, int at, byte[] prefix) {
    if (at + prefix.length > a.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (a[at + i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
