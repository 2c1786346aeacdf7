package dev.strata.build.containerfile;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One pass of Docker's word processing over a text: quotes removed, escapes applied, variables
 * expanded, the result written to a {@link Sink} that keeps one string or splits words.
 */
final class Expansion {
  /** Where the processed text goes; only {@link WordSink} tells the three kinds apart. */
  interface Sink {
    /** A character outside quotes, not escaped: white space here separates words. */
    void plain(char c);

    /** Quoted text or an escaped character: never separates words, even if it is white space. */
    void raw(String text);

    /** A variable's value outside quotes: its white space separates words, as in a shell. */
    default void expanded(String value) {
      value.chars().forEach(c -> plain((char) c));
    }
  }

  private final String text;
  private final char escape;
  private final Function<String, String> lookup;
  private int pos;

  private Expansion(String text, char escape, Function<String, String> lookup) {
    this.text = text;
    this.escape = escape;
    this.lookup = lookup;
  }

  static String word(String text, char escape, Function<String, String> lookup) {
    StringSink sink = new StringSink();
    new Expansion(text, escape, lookup).scan(sink, false);
    return sink.text.toString();
  }

  static List<String> words(String text, char escape, Function<String, String> lookup) {
    WordSink sink = new WordSink();
    new Expansion(text, escape, lookup).scan(sink, false);
    return sink.finish();
  }

  /** Processes up to the end, or through the closing brace of a modifier's word. */
  private void scan(Sink out, boolean toBrace) {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (toBrace && c == '}') {
        pos++;
        return;
      }
      if (c == '$') {
        out.expanded(dollar());
      } else if (c == '\'') {
        out.raw(singleQuoted());
      } else if (c == '"') {
        out.raw(doubleQuoted());
      } else if (c == escape) {
        // The escape takes the next character as it is; at the very end it is dropped.
        pos += 2;
        if (pos <= text.length()) {
          out.raw(String.valueOf(text.charAt(pos - 1)));
        }
      } else {
        out.plain(c);
        pos++;
      }
    }
    if (toBrace) {
      throw new IllegalArgumentException("missing '}'");
    }
  }

  /** Everything up to the next single quote, as it is: no escapes, no variables. */
  private String singleQuoted() {
    int end = text.indexOf('\'', pos + 1);
    if (end < 0) {
      throw new IllegalArgumentException("a single quote is not closed");
    }
    String quoted = text.substring(pos + 1, end);
    pos = end + 1;
    return quoted;
  }

  /**
   * Up to the next unescaped double quote, variables expanded. The escape works only before
   * {@code "}, {@code $} and itself, and is kept before anything else, as in a POSIX shell.
   */
  private String doubleQuoted() {
    StringBuilder out = new StringBuilder();
    pos++;
    while (true) {
      if (pos >= text.length()) {
        throw new IllegalArgumentException("a double quote is not closed");
      }
      char c = text.charAt(pos);
      if (c == '"') {
        pos++;
        return out.toString();
      }
      if (c == '$') {
        out.append(dollar());
        continue;
      }
      pos++;
      if (c == escape && pos < text.length()) {
        char next = text.charAt(pos);
        if (next == '"' || next == '$' || next == escape) {
          out.append(next);
          pos++;
          continue;
        }
      }
      if (c != escape || pos < text.length()) {
        out.append(c);
      }
    }
  }

  /** {@code $name}, {@code ${name}} or {@code ${name<modifier>word}}; a lone {@code $} is itself. */
  private String dollar() {
    pos++;
    if (pos < text.length() && text.charAt(pos) == '{') {
      pos++;
      return braced();
    }
    String name = name();
    return name.isEmpty() ? "$" : valueOrEmpty(name);
  }

  private String braced() {
    if (pos >= text.length()) {
      throw new IllegalArgumentException("missing '}'");
    }
    char first = text.charAt(pos);
    if (first == '{' || first == '}' || first == ':') {
      throw new IllegalArgumentException("bad substitution");
    }
    String name = name();
    if (pos >= text.length()) {
      throw new IllegalArgumentException("missing '}'");
    }
    char op = text.charAt(pos++);
    if (op == '}') {
      return valueOrEmpty(name);
    }
    // With a colon an empty value counts as unset: ${a:-b} replaces an empty a, ${a-b} does not.
    boolean colon = op == ':';
    if (colon) {
      if (pos >= text.length()) {
        throw new IllegalArgumentException("missing '}'");
      }
      op = text.charAt(pos++);
    }
    if (op != '-' && op != '+' && op != '?') {
      // Docker's pattern modifiers (# % /) are only in its pre-release syntax.
      throw new IllegalArgumentException("unsupported modifier (" + (colon ? ":" : "") + op + ") in ${" + name + "}");
    }
    StringSink word = new StringSink();
    scan(word, true);
    String value = lookup.apply(name);
    boolean unset = value == null || colon && value.isEmpty();
    return switch (op) {
      case '-' -> unset ? word.text.toString() : value;
      case '+' -> unset ? "" : word.text.toString();
      default -> {
        if (unset) {
          String message = word.text.length() > 0 ? word.text.toString() : value == null ? "is not set" : "is empty";
          throw new IllegalArgumentException(name + ": " + message);
        }
        yield value;
      }
    };
  }

  /**
   * A variable's name: letters, digits and underscores; or a run of digits; or one of the
   * shell's special parameters, which a build never sets and so expand to nothing.
   */
  private String name() {
    int start = pos;
    if (pos < text.length() && Character.isDigit(text.charAt(pos))) {
      while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
        pos++;
      }
    } else if (pos < text.length() && "@*#?-$!".indexOf(text.charAt(pos)) >= 0) {
      pos++;
    } else {
      while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) {
        pos++;
      }
    }
    return text.substring(start, pos);
  }

  private String valueOrEmpty(String name) {
    String value = lookup.apply(name);
    return value == null ? "" : value;
  }

  private static final class StringSink implements Sink {
    final StringBuilder text = new StringBuilder();

    @Override
    public void plain(char c) {
      text.append(c);
    }

    @Override
    public void raw(String raw) {
      text.append(raw);
    }

    @Override
    public void expanded(String value) {
      text.append(value);
    }
  }

  /** Splits at white space that is neither quoted nor escaped; empty words are dropped. */
  private static final class WordSink implements Sink {
    private final List<String> words = new ArrayList<>();
    private final StringBuilder word = new StringBuilder();

    @Override
    public void plain(char c) {
      if (!Spaces.isSpace(c)) {
        word.append(c);
      } else if (word.length() > 0) {
        words.add(word.toString());
        word.setLength(0);
      }
    }

    @Override
    public void raw(String raw) {
      word.append(raw);
    }

    List<String> finish() {
      plain(' ');
      return List.copyOf(words);
    }
  }
}
