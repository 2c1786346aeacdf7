package dev.strata.build.containerfile;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One ignore pattern's text, matched against whole '/'-separated paths as Docker matches them
 * (moby's patternmatcher, whose syntax is Go's {@code filepath.Match} plus {@code **}).
 *
 * <ul>
 *   <li>{@code *} is any run of characters but '/', {@code ?} one character but '/'.
 *   <li>{@code [...]} is a character class: ranges {@code a-z}, {@code ^} first to negate, the
 *       backslash to take {@code -}, {@code ]} or itself literally. An unclosed, empty or
 *       reversed class is refused.
 *   <li>The backslash takes the next character literally; at the very end it is itself.
 *   <li>{@code **} is any number of whole directories, none included: <code>a/**&#47;b</code>
 *       matches {@code a/b} and {@code a/x/y/b}.
 * </ul>
 *
 * <p>Docker's shortcuts are kept where they decide what matches, since files are written
 * against them: a pattern that starts with {@code **} and has no other wildcard matches every
 * path that ends with the rest ({@code **.log} matches {@code a/b.log}); one with no wildcard but
 * a final {@code **} matches every path that starts with the rest ({@code cache**} matches
 * {@code cache2/x}).
 */
final class IgnoreGlob {
  private enum Kind { EXACT, PREFIX, SUFFIX, REGEX }

  private final String pattern;
  private final Kind kind;
  private final Pattern regex;

  private IgnoreGlob(String pattern, Kind kind, Pattern regex) {
    this.pattern = pattern;
    this.kind = kind;
    this.regex = regex;
  }

  /** Compiles a cleaned pattern; refuses a malformed one with {@link IllegalArgumentException}. */
  static IgnoreGlob compile(String pattern) {
    int[] cps = pattern.codePoints().toArray();
    StringBuilder re = new StringBuilder();
    Kind kind = Kind.EXACT;
    for (int i = 0; i < cps.length; i++) {
      int c = cps[i];
      if (c == '*' && i + 1 < cps.length && cps[i + 1] == '*') {
        boolean first = i == 0;
        i++;
        if (i + 1 < cps.length && cps[i + 1] == '/') {
          i++;
        }
        if (i + 1 < cps.length) {
          re.append("(?:.*/)?");
          kind = Kind.REGEX;
        } else if (kind == Kind.EXACT) {
          kind = Kind.PREFIX;
        } else {
          re.append(".*");
          kind = Kind.REGEX;
        }
        kind = first ? Kind.SUFFIX : kind;
      } else if (c == '*' || c == '?') {
        re.append(c == '*' ? "[^/]*" : "[^/]");
        kind = Kind.REGEX;
      } else if (c == '\\' && i + 1 < cps.length) {
        re.append(literal(cps[++i]));
        kind = Kind.REGEX;
      } else if (c == '[') {
        i = charClass(cps, i, re);
        kind = Kind.REGEX;
      } else {
        re.append(literal(c));
        kind = c == ']' ? Kind.REGEX : kind;
      }
    }
    return new IgnoreGlob(pattern, kind, kind == Kind.REGEX ? Pattern.compile(re.toString(), Pattern.DOTALL) : null);
  }

  boolean matches(String path) {
    return switch (kind) {
      case EXACT -> path.equals(pattern);
      case PREFIX -> path.startsWith(pattern.substring(0, pattern.length() - 2));
      case SUFFIX -> {
        String suffix = pattern.substring(2);
        yield path.endsWith(suffix) || suffix.startsWith("/") && path.equals(suffix.substring(1));
      }
      case REGEX -> regex.matcher(path).matches();
    };
  }

  /** Whether some path below a directory could match; may say yes when none does, never no when one does. */
  boolean mayMatchBelow(String dir) {
    String below = dir + "/";
    return switch (kind) {
      case EXACT -> pattern.startsWith(below);
      case PREFIX -> {
        String prefix = pattern.substring(0, pattern.length() - 2);
        yield prefix.startsWith(below) || below.startsWith(prefix);
      }
      case SUFFIX -> true;
      case REGEX -> {
        // Matching stopped for want of input, not at a mismatch: a longer path may match.
        Matcher m = regex.matcher(below);
        yield m.matches() || m.hitEnd();
      }
    };
  }

  /** Appends a character class that starts at {@code cps[start]}; returns the index of its ']'. */
  private static int charClass(int[] cps, int start, StringBuilder re) {
    int i = start + 1;
    re.append('[');
    if (i < cps.length && cps[i] == '^') {
      re.append('^');
      i++;
    }
    for (int ranges = 0; ; ranges++) {
      if (i >= cps.length) {
        throw new IllegalArgumentException("a '[' is not closed");
      }
      if (cps[i] == ']' && ranges > 0) {
        re.append(']');
        return i;
      }
      int lo = classChar(cps, i);
      i += cps[i] == '\\' ? 2 : 1;
      int hi = lo;
      if (i < cps.length && cps[i] == '-') {
        hi = classChar(cps, ++i);
        i += cps[i] == '\\' ? 2 : 1;
        if (hi < lo) {
          throw new IllegalArgumentException("the range " + Character.toString(lo) + "-" + Character.toString(hi)
              + " is reversed");
        }
      }
      re.append(String.format("\\x{%x}", lo));
      if (hi != lo) {
        re.append(String.format("-\\x{%x}", hi));
      }
    }
  }

  /** A character of a class: '-' and ']' must be escaped there, as Go's filepath.Match wants. */
  private static int classChar(int[] cps, int i) {
    if (i >= cps.length) {
      throw new IllegalArgumentException("a '[' is not closed");
    }
    int c = cps[i];
    if (c == '-' || c == ']') {
      throw new IllegalArgumentException("'" + Character.toString(c) + "' in a class must be escaped");
    }
    if (c != '\\') {
      return c;
    }
    if (i + 1 >= cps.length) {
      throw new IllegalArgumentException("a '[' is not closed");
    }
    return cps[i + 1];
  }

  private static String literal(int c) {
    return Character.isLetterOrDigit(c) ? Character.toString(c) : String.format("\\x{%x}", c);
  }
}
