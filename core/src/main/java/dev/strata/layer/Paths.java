package dev.strata.layer;

/** Helpers for the normalized, slash-separated relative paths of layer entries. */
public final class Paths {
  private Paths() {}

  /** Returns the parent of {@code path}; the root ("") for a top-level name. */
  public static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? "" : path.substring(0, slash);
  }

  /** Returns the last name of {@code path}. */
  public static String name(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** Joins a directory and a name. */
  public static String join(String dir, String name) {
    return dir.isEmpty() ? name : dir + "/" + name;
  }
}
