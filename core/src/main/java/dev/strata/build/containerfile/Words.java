package dev.strata.build.containerfile;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits text into words the two ways Docker's parser does, before any expansion.
 *
 * <p>{@link #quoted}: at white space outside quotes, keeping the quotes and escapes in the words
 * for {@link Substitution#expand} to remove; ENV, LABEL and ARG read their {@code name=value}
 * words so, so {@code a="b c"} stays one word. {@link #atWhiteSpace}: at runs of white space,
 * quotes or not; COPY, ADD, VOLUME, EXPOSE and FROM read their words so, and a path with a space
 * needs the exec form there, as in Docker ({@code COPY "a b" /x} reads {@code "a} and {@code b"}).
 */
final class Words {
  private Words() {}

  static List<String> quoted(String text, char escape) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    char quote = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quote == 0 && Spaces.isSpace(c)) {
        addNonEmpty(words, word);
        continue;
      }
      // The escape keeps the next character in the word, whatever it is; only single quotes
      // make it an ordinary character. At the very end of the text it is dropped.
      if (c == escape && quote != '\'') {
        if (i + 1 < text.length()) {
          word.append(c).append(text.charAt(++i));
        }
        continue;
      }
      if (quote == 0 && (c == '"' || c == '\'')) {
        quote = c;
      } else if (c == quote) {
        quote = 0;
      }
      word.append(c);
    }
    addNonEmpty(words, word);
    return List.copyOf(words);
  }

  private static void addNonEmpty(List<String> words, StringBuilder word) {
    if (word.length() > 0) {
      words.add(word.toString());
      word.setLength(0);
    }
  }

  static List<String> atWhiteSpace(String text) {
    List<String> words = new ArrayList<>();
    int start = -1;
    for (int i = 0; i <= text.length(); i++) {
      boolean separator = i == text.length() || Spaces.isSeparator(text.charAt(i));
      if (separator && start >= 0) {
        words.add(text.substring(start, i));
        start = -1;
      } else if (!separator && start < 0) {
        start = i;
      }
    }
    return List.copyOf(words);
  }
}
