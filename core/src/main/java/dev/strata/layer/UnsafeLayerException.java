package dev.strata.layer;

import dev.strata.host.Names;
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

  /**
   * Returns a name as a message shows it: escaped as {@link Names#printable} escapes it, so a
   * hostile name cannot rewrite the terminal, and cut after 300 characters.
   */
  static String printable(String name) {
    String shown = Names.printable(name);
    return shown.length() <= 300 ? shown : shown.substring(0, 300) + "...";
  }
}
