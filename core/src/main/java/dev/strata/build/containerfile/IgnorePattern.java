package dev.strata.build.containerfile;

/**
 * One line of an ignore file: a pattern, or with {@code !} an exception that takes back what
 * earlier patterns excluded.
 *
 * @param text the pattern as cleaned, without the {@code !}
 * @param exception whether the line began with {@code !}
 * @param glob the compiled pattern
 */
record IgnorePattern(String text, boolean exception, IgnoreGlob glob) {
  /**
   * Reads a line that is neither blank nor a comment, as Docker does: white space around the
   * pattern and after {@code !} is dropped, the path is cleaned ({@code ./a/} is {@code a}) and a
   * leading {@code /} dropped, since patterns are relative to the context's root anyway.
   */
  static IgnorePattern parse(String line) {
    String text = Spaces.trim(line);
    boolean exception = text.startsWith("!");
    if (exception) {
      text = Spaces.trim(text.substring(1));
      if (text.isEmpty()) {
        throw new IllegalArgumentException("'!' needs a pattern after it");
      }
    }
    text = CleanPath.clean(text);
    if (text.length() > 1 && text.startsWith("/")) {
      text = text.substring(1);
    }
    return new IgnorePattern(text, exception, IgnoreGlob.compile(text));
  }

  /** Whether the pattern matches the path or a directory above it, which holds the path. */
  boolean matches(String path) {
    if (glob.matches(path)) {
      return true;
    }
    for (int slash = path.indexOf('/'); slash > 0; slash = path.indexOf('/', slash + 1)) {
      if (glob.matches(path.substring(0, slash))) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return exception ? "!" + text : text;
  }
}
