package dev.strata.build.containerfile;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parser directives at the top of a Containerfile ({@code # escape=`}, {@code # syntax=...},
 * {@code # check=...}), with Docker's rules: they count only while every line before them was a
 * directive too, so the first other line (an instruction, a comment, a blank line or an unknown
 * directive) ends them, and each may be given once. Only {@code escape} changes how Strata
 * reads the file; {@code syntax} names a BuildKit front end and {@code check} its linter, neither
 * of which applies here.
 */
final class Directives {
  // Go's \s is [\t\n\f\r ]; the name is a letter and then letters or digits.
  private static final Pattern DIRECTIVE =
      Pattern.compile("([a-zA-Z][a-zA-Z0-9]*)[\\t\\n\\f\\r ]*=[\\t\\n\\f\\r ]*(.+?)[\\t\\n\\f\\r ]*");
  private static final Set<String> KNOWN = Set.of("escape", "syntax", "check");

  private final Set<String> seen = new HashSet<>();
  private boolean done;
  private char escape = '\\';

  /**
   * Takes in one line from the top of the file, its leading white space removed. Returns whether
   * it was a directive; from the first line that is not, none is.
   */
  boolean offer(String line) {
    if (done) {
      return false;
    }
    Matcher m = line.startsWith("#") ? DIRECTIVE.matcher(Spaces.trimLeading(line.substring(1))) : null;
    String name = m != null && m.matches() ? m.group(1).toLowerCase(Locale.ROOT) : null;
    if (name == null || !KNOWN.contains(name)) {
      done = true;
      return false;
    }
    if (!seen.add(name)) {
      throw new Malformed("the " + name + " directive is given twice");
    }
    if (name.equals("escape")) {
      String value = m.group(2);
      if (!value.equals("\\") && !value.equals("`")) {
        throw new Malformed("the escape directive takes \\ or `, not '" + value + "'");
      }
      escape = value.charAt(0);
    }
    return true;
  }

  char escape() {
    return escape;
  }
}
