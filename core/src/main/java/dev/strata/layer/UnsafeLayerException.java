package dev.strata.layer;

import java.io.IOException;

/**
 * A layer that Strata refuses: an entry that would reach outside the root, a duplicate, a bad
 * whiteout, a corrupt or oversized stream. The message names the entry.
 */
public final class UnsafeLayerException extends IOException {
  public UnsafeLayerException(String message) {
    super(message);
  }

  public UnsafeLayerException(String message, Throwable cause) {
    super(message, cause);
  }

  static UnsafeLayerException entry(String name, String problem) {
    return new UnsafeLayerException("entry '" + printable(name) + "': " + problem);
  }

  /** Escapes control characters so a hostile name cannot rewrite the terminal. */
  static String printable(String name) {
    StringBuilder sb = new StringBuilder(Math.min(name.length(), 300));
    for (int i = 0; i < name.length() && sb.length() < 300; i++) {
      char c = name.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\x%02x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
