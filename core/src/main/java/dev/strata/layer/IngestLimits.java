package dev.strata.layer;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * Bounds on what one layer may expand to, against decompression bombs and hostile headers.
 *
 * @param maxUncompressedBytes the largest uncompressed tar accepted
 * @param maxEntries the most entries in one layer
 * @param maxHeaderBytes the largest PAX or GNU long-name header (they are read into memory)
 */
public record IngestLimits(long maxUncompressedBytes, long maxEntries, int maxHeaderBytes) {
  /** 64 GiB, 4 million entries, 1 MiB headers: far above real images, far below harm. */
  public static final IngestLimits DEFAULT = new IngestLimits(64L << 30, 4_000_000, 1 << 20);

  public IngestLimits {
    checkArgument(maxUncompressedBytes > 0, "maxUncompressedBytes must be positive");
    checkArgument(maxEntries > 0, "maxEntries must be positive");
    checkArgument(maxHeaderBytes >= 512, "maxHeaderBytes must be at least 512");
  }

  /** Returns these limits with another uncompressed-size bound. */
  public IngestLimits withMaxUncompressedBytes(long bytes) {
    return new IngestLimits(bytes, maxEntries, maxHeaderBytes);
  }

  /** Parses a size such as {@code 512MB}, {@code 10GiB} or {@code 1048576}. */
  public static long parseSize(String text) {
    String t = text.trim().toUpperCase(java.util.Locale.ROOT);
    long unit = 1;
    String[][] units = {{"TIB", "1099511627776"}, {"GIB", "1073741824"}, {"MIB", "1048576"}, {"KIB", "1024"},
        {"TB", "1000000000000"}, {"GB", "1000000000"}, {"MB", "1000000"}, {"KB", "1000"}, {"T", "1099511627776"},
        {"G", "1073741824"}, {"M", "1048576"}, {"K", "1024"}, {"B", "1"}};
    for (String[] u : units) {
      if (t.endsWith(u[0])) {
        unit = Long.parseLong(u[1]);
        t = t.substring(0, t.length() - u[0].length()).trim();
        break;
      }
    }
    try {
      long n = Long.parseLong(t);
      checkArgument(n >= 0, "negative size");
      return Math.multiplyExact(n, unit);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("invalid size '" + text + "': expected a number with an optional unit (KB, MB, GiB, ...)");
    }
  }
}
