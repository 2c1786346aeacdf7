package dev.strata.build.containerfile;

import java.util.ArrayList;
import java.util.List;

/**
 * The rules of a {@code .containerignore} or {@code .dockerignore} file: which paths of a build
 * context are left out, with Docker's semantics.
 *
 * <ul>
 *   <li>One pattern a line, relative to the context's root; a leading {@code /} or {@code ./}
 *       changes nothing, nor does white space around a pattern. Lines that start with {@code #}
 *       (in the first column: Docker takes {@code " #a"} as a pattern) and blank lines are
 *       skipped.
 *   <li>{@code *}, {@code ?}, {@code [...]} and {@code \} as in Go's {@code filepath.Match};
 *       {@code **} for any number of directories ({@link IgnoreGlob} says it exactly).
 *   <li>A pattern that matches a directory excludes everything below it.
 *   <li>{@code !pattern} is an exception: it includes again what it matches. The last line that
 *       matches a path decides, so {@code !} lines go after the lines they make exceptions to.
 * </ul>
 *
 * <p>Paths are '/'-separated and relative to the context's root; they are cleaned first, so
 * {@code ./a//b/} is {@code a/b}. The root itself is never excluded.
 */
public final class IgnoreRules {
  private static final IgnoreRules NONE = new IgnoreRules(List.of());

  private final List<IgnorePattern> patterns;

  private IgnoreRules(List<IgnorePattern> patterns) {
    this.patterns = List.copyOf(patterns);
  }

  /** Rules that exclude nothing, for a context without an ignore file. */
  public static IgnoreRules none() {
    return NONE;
  }

  /**
   * Reads an ignore file's text.
   *
   * @throws IllegalArgumentException naming the line of a malformed pattern (an unclosed
   *     {@code [}, a {@code !} alone)
   */
  public static IgnoreRules parse(String text) {
    List<IgnorePattern> patterns = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = i == 0 && lines[i].startsWith("\uFEFF") ? lines[i].substring(1) : lines[i];
      if (line.startsWith("#") || Spaces.trim(line).isEmpty()) {
        continue;
      }
      try {
        patterns.add(IgnorePattern.parse(line));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("line " + (i + 1) + ": '" + Spaces.trim(line) + "': " + e.getMessage(), e);
      }
    }
    return new IgnoreRules(patterns);
  }

  /** Whether the path is left out of the context. */
  public boolean excludes(String relativePath) {
    String path = normalize(relativePath);
    if (path.equals(".")) {
      return false;
    }
    boolean excluded = false;
    for (IgnorePattern pattern : patterns) {
      // Only an exception can change an excluded path, and only a pattern an included one.
      if (pattern.exception() == excluded && pattern.matches(path)) {
        excluded = !pattern.exception();
      }
    }
    return excluded;
  }

  /**
   * Whether something below a directory may be in the context, so that a walk must go into it
   * although the directory itself is excluded: true when the directory is not excluded, or when
   * an exception after the last pattern that excludes it could match a path below it ({@code
   * !docs/README.md} after {@code docs}, or <code>!*&#47;keep</code> after {@code *}). It may say
   * true when nothing below turns out to be included, never false when something is.
   */
  public boolean mayHoldIncluded(String dir) {
    String path = normalize(dir);
    if (path.equals(".") || !excludes(path)) {
      return true;
    }
    // Every path below is excluded by the last pattern that excludes the directory, unless an
    // exception after it takes the path back.
    int last = -1;
    for (int i = 0; i < patterns.size(); i++) {
      if (!patterns.get(i).exception() && patterns.get(i).matches(path)) {
        last = i;
      }
    }
    for (IgnorePattern pattern : patterns.subList(last + 1, patterns.size())) {
      if (pattern.exception() && pattern.glob().mayMatchBelow(path)) {
        return true;
      }
    }
    return false;
  }

  /** The patterns as cleaned, in order, exceptions with their {@code !}. */
  public List<String> patterns() {
    return patterns.stream().map(IgnorePattern::toString).toList();
  }

  private static String normalize(String path) {
    String clean = CleanPath.clean(path);
    return clean.equals("/") ? "." : clean.startsWith("/") ? clean.substring(1) : clean;
  }
}
