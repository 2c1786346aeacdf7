package dev.strata.build.containerfile;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Variables in instructions as Docker's builder expands them: {@code $name}, {@code ${name}},
 * {@code ${name:-default}} (default when unset or empty), {@code ${name:+alt}} (alt when set and
 * not empty), {@code ${name-default}} and {@code ${name+alt}} (the same for unset only); an
 * unknown name is empty. A backslash keeps the next character as it is ({@code \$HOME} is
 * {@code $HOME}). And the splitting of an instruction's
 * arguments into words and {@code name=value} pairs, quotes honoured.
 */
public final class Substitution {
  private Substitution() {}

  /** Expands {@code word}, looking names up in {@code lookup} (null: unset). */
  public static String expand(String word, Function<String, String> lookup) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < word.length()) {
      char c = word.charAt(i);
      if (c == '\\' && i + 1 < word.length()) {
        out.append(word.charAt(i + 1));
        i += 2;
        continue;
      }
      if (c != '$' || i + 1 >= word.length()) {
        out.append(c);
        i++;
        continue;
      }
      char next = word.charAt(i + 1);
      if (next == '{') {
        int close = closing(word, i + 2);
        if (close < 0) {
          throw new IllegalArgumentException("'" + word + "': missing '}'");
        }
        out.append(braced(word.substring(i + 2, close), lookup));
        i = close + 1;
      } else if (Character.isLetter(next) || next == '_') {
        int end = i + 1;
        while (end < word.length() && (Character.isLetterOrDigit(word.charAt(end)) || word.charAt(end) == '_')) {
          end++;
        }
        String v = lookup.apply(word.substring(i + 1, end));
        out.append(v == null ? "" : v);
        i = end;
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  private static int closing(String word, int from) {
    int depth = 0;
    for (int i = from; i < word.length(); i++) {
      char c = word.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == '{') {
        depth++;
      } else if (c == '}') {
        if (depth == 0) {
          return i;
        }
        depth--;
      }
    }
    return -1;
  }

  private static String braced(String inside, Function<String, String> lookup) {
    int op = 0;
    while (op < inside.length() && (Character.isLetterOrDigit(inside.charAt(op)) || inside.charAt(op) == '_')) {
      op++;
    }
    String name = inside.substring(0, op);
    if (name.isEmpty()) {
      throw new IllegalArgumentException("'${" + inside + "}': no variable name");
    }
    String value = lookup.apply(name);
    if (op == inside.length()) {
      return value == null ? "" : value;
    }
    boolean colon = inside.charAt(op) == ':';
    int kind = colon ? op + 1 : op;
    if (kind >= inside.length() || (inside.charAt(kind) != '-' && inside.charAt(kind) != '+')) {
      throw new IllegalArgumentException("'${" + inside + "}': unsupported modifier (use :-, :+, - or +)");
    }
    String rest = expand(inside.substring(kind + 1), lookup);
    boolean set = value != null && (!colon || !value.isEmpty());
    return inside.charAt(kind) == '-' ? (set ? value : rest) : (set ? rest : "");
  }

  /**
   * Splits {@code text} at whitespace outside quotes. The quotes go; what single quotes held is
   * escaped, character by character, so that {@link #expand} keeps it as written; backslash
   * escapes stay for {@link #expand}.
   */
  public static List<String> words(String text) {
    List<String> out = new ArrayList<>();
    StringBuilder w = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quote == 0 && Character.isWhitespace(c)) {
        if (inWord) {
          out.add(w.toString());
          w.setLength(0);
          inWord = false;
        }
        continue;
      }
      inWord = true;
      if (c == '\\' && i + 1 < text.length() && quote != '\'') {
        w.append(c).append(text.charAt(++i));
      } else if (quote == 0 && (c == '"' || c == '\'')) {
        quote = c;
      } else if (c == quote) {
        quote = 0;
      } else if (quote == '\'') {
        w.append('\\').append(c);
      } else {
        w.append(c);
      }
    }
    if (quote != 0) {
      throw new IllegalArgumentException("unmatched " + quote + " in '" + text + "'");
    }
    if (inWord) {
      out.add(w.toString());
    }
    return out;
  }
}
