package dev.strata.build.containerfile;

import com.google.common.collect.ImmutableMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The flags that lead an instruction's arguments ({@code COPY --from=build --chown=1000 ...}):
 * taken off the text as Docker does, then checked against what the instruction takes.
 *
 * <p>Docker's reading: flags are the leading words that start with {@code --}; the first word
 * that does not, or a bare {@code --}, ends them. Quotes in a flag word are removed and the
 * escape character takes the next character as it is, so {@code --chown="app user"} is one flag.
 */
final class Flags {
  /** A repeated flag's values, joined: an instruction is one line, so no value holds a newline. */
  static final String SEPARATOR = "\n";

  /** The flag words, as {@code --name} or {@code --name=value}, and the text after them. */
  record Split(List<String> words, String rest) {}

  private Flags() {}

  static Split split(String text, char escape) {
    List<String> words = new ArrayList<>();
    int i = 0;
    while (true) {
      while (i < text.length() && Spaces.isSpace(text.charAt(i))) {
        i++;
      }
      if (!text.startsWith("--", i)) {
        return new Split(words, text.substring(i));
      }
      StringBuilder word = new StringBuilder();
      char quote = 0;
      for (; i < text.length() && (quote != 0 || !Spaces.isSpace(text.charAt(i))); i++) {
        char c = text.charAt(i);
        if (c == escape) {
          if (++i < text.length()) {
            word.append(text.charAt(i));
          }
        } else if (quote != 0 && c == quote) {
          quote = 0;
        } else if (quote == 0 && (c == '"' || c == '\'')) {
          quote = c;
        } else {
          word.append(c);
        }
      }
      if (word.toString().equals("--")) {
        return new Split(words, text.substring(i));
      }
      words.add(word.toString());
    }
  }

  /** Checks flag words against the flags the keyword takes; returns them by name, in order. */
  static Map<String, String> check(Keyword keyword, List<String> words) {
    Map<String, String> flags = new LinkedHashMap<>();
    for (String word : words) {
      int eq = word.indexOf('=');
      String name = eq < 0 ? word.substring(2) : word.substring(2, eq);
      String value = eq < 0 ? null : word.substring(eq + 1);
      FlagSpec spec = keyword.flag(name)
          .orElseThrow(() -> new Malformed(keyword + " does not take the flag --" + name));
      String before = flags.get(name);
      if (before != null && spec.kind() != FlagSpec.Kind.REPEATED) {
        throw new Malformed("the flag --" + name + " is given twice");
      }
      flags.put(name, switch (spec.kind()) {
        case BOOLEAN -> bool(name, value);
        case TEXT -> required(name, value);
        case REPEATED -> before == null ? required(name, value) : before + SEPARATOR + required(name, value);
      });
    }
    return ImmutableMap.copyOf(flags);
  }

  private static String bool(String name, String value) {
    if (value == null) {
      return "true";
    }
    String lower = value.toLowerCase(Locale.ROOT);
    if (!lower.equals("true") && !lower.equals("false")) {
      throw new Malformed("the flag --" + name + " takes true or false, not '" + value + "'");
    }
    return lower;
  }

  private static String required(String name, String value) {
    if (value == null) {
      throw new Malformed("the flag --" + name + " needs a value: --" + name + "=...");
    }
    return value;
  }
}
