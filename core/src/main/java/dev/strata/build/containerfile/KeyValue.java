package dev.strata.build.containerfile;

/**
 * A name and its value from ENV, LABEL or ARG, both as written: quotes, escapes and variables are
 * still in them, for {@link Substitution#expand} (Docker expands names too).
 *
 * @param key the name
 * @param value the value; null for an ARG that names no default ({@code ARG VERSION})
 */
public record KeyValue(String key, String value) {
  /** Splits a word at its first {@code =}: {@code a=b=c} is {@code a} and {@code b=c}. */
  public static KeyValue parse(String word) {
    int eq = word.indexOf('=');
    return eq < 0 ? new KeyValue(word, null) : new KeyValue(word.substring(0, eq), word.substring(eq + 1));
  }
}
