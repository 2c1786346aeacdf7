package dev.strata.build.containerfile;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The rules of a {@code .containerignore} or {@code .dockerignore}: which paths of the build
 * context COPY and ADD leave out. As Docker reads them: one pattern a line, relative to the
 * context (a leading {@code /} or {@code ./} means the same), {@code #} comments, {@code *} and
 * {@code ?} within a name, {@code [...]} classes, {@code **} any number of directories, a
 * pattern that matches a directory matching everything in it, and {@code !} exceptions, the
 * last matching rule deciding.
 */
public final class IgnoreRules {
  private record Rule(Pattern pattern, boolean exception, String text) {}

  private final List<Rule> rules;

  private IgnoreRules(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  /** Parses the text of an ignore file. */
  public static IgnoreRules parse(String text) {
    List<Rule> rules = new ArrayList<>();
    for (String raw : text.split("\r?\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      boolean exception = line.startsWith("!");
      if (exception) {
        line = line.substring(1).strip();
      }
      String clean = clean(line);
      if (clean.isEmpty()) {
        continue;
      }
      rules.add(new Rule(Pattern.compile(regex(clean)), exception, clean));
    }
    return new IgnoreRules(rules);
  }

  /** Whether {@code path} ('/'-separated, relative to the context) is left out. */
  public boolean excludes(String path) {
    String p = clean(path);
    boolean excluded = false;
    for (Rule r : rules) {
      if (matchesOrParent(r, p)) {
        excluded = !r.exception();
      }
    }
    return excluded;
  }

  /**
   * Whether a walk must go into the left-out directory {@code dir}: an exception may bring back
   * something below it.
   */
  public boolean mayHoldIncluded(String dir) {
    String d = clean(dir);
    for (Rule r : rules) {
      if (r.exception() && (r.text().startsWith(d + "/") || r.text().contains("*") || r.text().contains("?")
          || r.text().contains("["))) {
        return true;
      }
    }
    return false;
  }

  private static boolean matchesOrParent(Rule r, String path) {
    for (String p = path; !p.isEmpty(); p = parent(p)) {
      if (r.pattern().matcher(p).matches()) {
        return true;
      }
    }
    return false;
  }

  private static String parent(String p) {
    int slash = p.lastIndexOf('/');
    return slash < 0 ? "" : p.substring(0, slash);
  }

  /** As Go's filepath.Clean of a relative path: no leading '/', './', empty or '.' components. */
  private static String clean(String path) {
    List<String> parts = new ArrayList<>();
    for (String part : path.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (!parts.isEmpty()) {
          parts.remove(parts.size() - 1);
        }
        continue;
      }
      parts.add(part);
    }
    return String.join("/", parts);
  }

  private static String regex(String pattern) {
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (c == '*') {
        if (i + 1 < pattern.length() && pattern.charAt(i + 1) == '*') {
          i++;
          if (i + 1 < pattern.length() && pattern.charAt(i + 1) == '/') {
            i++;
            re.append("(.*/)?"); // **/ : any number of directories, none included
          } else {
            re.append(".*");
          }
        } else {
          re.append("[^/]*");
        }
      } else if (c == '?') {
        re.append("[^/]");
      } else if (c == '[') {
        int close = pattern.indexOf(']', i + 1);
        if (close < 0) {
          throw new IllegalArgumentException("ignore pattern '" + pattern + "': '[' without ']'");
        }
        String cls = pattern.substring(i + 1, close);
        if (cls.startsWith("!") || cls.startsWith("^")) {
          cls = "^" + cls.substring(1);
        }
        re.append('[').append(cls.replace("\\", "\\\\")).append(']');
        i = close;
      } else if (c == '\\' && i + 1 < pattern.length()) {
        re.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
      } else {
        re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return re.toString();
  }
}
