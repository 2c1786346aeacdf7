package dev.strata.build.containerfile;

import java.util.List;
import java.util.function.Function;

/**
 * Docker's word rules for Containerfile arguments: variable expansion, quote removal and word
 * splitting, under the file's escape character ({@link Containerfile#escape()}).
 *
 * <p>{@link #expand} is what Docker does to every word of ADD, COPY, ENV, EXPOSE, FROM, LABEL,
 * STOPSIGNAL, USER, VOLUME and WORKDIR (and of an ONBUILD trigger of one of them, when it runs),
 * to ENV's, LABEL's and ARG's names and values, and to the values of {@code --chown} and {@code
 * --chmod} (COPY, ADD), {@code --checksum} (ADD), {@code --mount} (RUN) and {@code --platform}
 * (FROM, which like FROM's image sees only the ARGs before the first FROM); not to {@code COPY
 * --from}. RUN, CMD, ENTRYPOINT, SHELL and HEALTHCHECK are never expanded by the builder: in
 * shell form the shell expands them, in exec form nothing does.
 *
 * <ul>
 *   <li>{@code $name} and {@code ${name}}; a name is letters, digits and {@code _}, and a
 *       {@code $} before anything else is itself. A variable that is not set is empty.
 *   <li>{@code ${name:-word}}: word when name is unset or empty; {@code ${name-word}}: when unset.
 *   <li>{@code ${name:+word}}: word when name is set and not empty, else empty; {@code
 *       ${name+word}}: word when set.
 *   <li>{@code ${name:?message}} and {@code ${name?message}}: fail with the message when unset
 *       (or, with the colon, empty). The word of all these is itself expanded and unquoted.
 *   <li>Single quotes keep everything inside as it is: {@code '$HOME'} is {@code $HOME}. Double
 *       quotes expand variables; inside them the escape works only before {@code "}, {@code $}
 *       and itself. Quotes are removed either way.
 *   <li>Outside quotes the escape takes the next character as it is: {@code \$HOME} is {@code
 *       $HOME}, {@code \"} is {@code "}.
 * </ul>
 *
 * <p>Docker's pre-release pattern modifiers ({@code ${a#p}}, {@code ${a%p}}, {@code ${a/p/r}})
 * are refused. Faults (an unclosed quote or brace, {@code ${a?}} of an unset variable) are
 * {@link IllegalArgumentException}s naming the word; a builder reports them at the instruction's
 * line with {@link ContainerfileException}.
 */
public final class Substitution {
  private static final Substitution STANDARD = new Substitution('\\');

  private final char escape;

  private Substitution(char escape) {
    this.escape = escape;
  }

  /** The rules with the default escape character, the backslash. */
  public static Substitution standard() {
    return STANDARD;
  }

  /** The rules with a file's escape character: {@code \} or {@code `}. */
  public static Substitution withEscape(char escape) {
    if (escape != '\\' && escape != '`') {
      throw new IllegalArgumentException("the escape character is \\ or `, not " + escape);
    }
    return escape == '\\' ? STANDARD : new Substitution(escape);
  }

  public char escape() {
    return escape;
  }

  /**
   * Expands one word: variables replaced, quotes removed, escapes applied, white space kept.
   *
   * @param lookup a variable's value, or null when it is not set (which {@code ${a-b}} tells
   *     from set but empty)
   */
  public String expand(String word, Function<String, String> lookup) {
    try {
      return Expansion.word(word, escape, lookup);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot expand '" + word + "': " + e.getMessage(), e);
    }
  }

  /**
   * Expands a text and splits it into words, as EXPOSE's arguments are: at white space outside
   * quotes, including white space that a variable's value brings ({@code EXPOSE $PORTS}).
   * Quoted empty strings make no word.
   */
  public List<String> expandWords(String text, Function<String, String> lookup) {
    try {
      return Expansion.words(text, escape, lookup);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot expand '" + text + "': " + e.getMessage(), e);
    }
  }

  /**
   * Splits shell-form text into words before expansion, as Docker reads ENV's, LABEL's and ARG's
   * arguments: at white space outside quotes, the quotes and escapes kept in the words for
   * {@link #expand} ({@code a="b c" d} is {@code a="b c"} and {@code d}).
   */
  public List<String> words(String text) {
    return Words.quoted(text, escape);
  }
}
