package dev.strata.build.containerfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Docker's expansion rules, word by word; the expected values are what BuildKit's lexer gives. */
class SubstitutionTest {
  private static final Map<String, String> ENV = new HashMap<>(Map.of(
      "A", "a", "EMPTY", "", "SP", " x  y ", "PATH", "/usr/bin", "under_score9", "u"));
  private static final Function<String, String> LOOKUP = ENV::get;

  // '|' separates the columns so that words may hold commas; ~ quotes, and ~~ is the empty string.
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', quoteCharacter = '~', textBlock = """
      $A                  | a
      ${A}                | a
      pre${A}post         | preapost
      $Apost              | ~~
      ${A}post            | apost
      $under_score9.x     | u.x
      /bin:$PATH          | /bin:/usr/bin
      $UNSET              | ~~
      ${UNSET}            | ~~
      ${UNSET:-def}       | def
      ${EMPTY:-def}       | def
      ${EMPTY-def}        | ~~
      ${UNSET-def}        | def
      ${A:-def}           | a
      ${A-def}            | a
      ${A:+alt}           | alt
      ${A+alt}            | alt
      ${EMPTY:+alt}       | ~~
      ${EMPTY+alt}        | alt
      ${UNSET:+alt}       | ~~
      ${UNSET+alt}        | ~~
      ${UNSET:-${A}x}     | ax
      ${UNSET:-'q  w'}    | q  w
      ${A:+"$A $A"}       | a a
      ${EMPTY?}           | ~~
      ${A:?must be set}   | a
      \\$A                | $A
      \\${A}              | ${A}
      '$A'                | $A
      "$A"                | a
      "\\$A"              | $A
      "a\\b"              | a\\b
      "a\\\\b"            | a\\b
      "say \\"hi\\""      | say "hi"
      a\\ b               | a b
      \\"a\\"             | "a"
      ~"it's"~            | it's
      ~'say "hi"'~        | say "hi"
      ~a'b c'"d e"f~      | ab cd ef
      $                   | $
      a$                  | a$
      $/x                 | $/x
      $1                  | ~~
      $12x                | x
      $$                  | ~~
      ${#}                | ~~
      trailing\\          | trailing
      ~ spaced  out ~     | ~ spaced  out ~
      """)
  void expands(String word, String expected) {
    assertThat(Substitution.standard().expand(word, LOOKUP)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(delimiter = '|', quoteCharacter = '~', textBlock = """
      ${A                | cannot expand '${A': missing '}'
      ${A:-x             | cannot expand '${A:-x': missing '}'
      ${A:               | cannot expand '${A:': missing '}'
      ${                 | cannot expand '${': missing '}'
      ${}                | cannot expand '${}': bad substitution
      ${:-x}             | cannot expand '${:-x}': bad substitution
      ${A#x}             | cannot expand '${A#x}': unsupported modifier (#) in ${A}
      ${A:=x}            | cannot expand '${A:=x}': unsupported modifier (:=) in ${A}
      ${A/a/b}           | cannot expand '${A/a/b}': unsupported modifier (/) in ${A}
      ${UNSET?}          | cannot expand '${UNSET?}': UNSET: is not set
      ${EMPTY:?}         | cannot expand '${EMPTY:?}': EMPTY: is empty
      ${UNSET:?set it}   | cannot expand '${UNSET:?set it}': UNSET: set it
      ~'abc~             | cannot expand ''abc': a single quote is not closed
      ~"abc~             | cannot expand '"abc': a double quote is not closed
      ~"abc\\"~          | cannot expand '"abc\\"': a double quote is not closed
      """)
  void refuses(String word, String message) {
    assertThatThrownBy(() -> Substitution.standard().expand(word, LOOKUP))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void theBacktickEscapeLeavesBackslashesAlone() {
    Substitution windows = Substitution.withEscape('`');
    assertThat(windows.escape()).isEqualTo('`');
    assertThat(windows.expand("C:\\Program Files\\$A", LOOKUP)).isEqualTo("C:\\Program Files\\a");
    assertThat(windows.expand("`$A \"`\"q`\"\" \"\\\"", LOOKUP)).isEqualTo("$A \"q\" \\");
    assertThat(Substitution.withEscape('\\')).isSameAs(Substitution.standard());
    assertThatThrownBy(() -> Substitution.withEscape('^'))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the escape character is \\ or `, not ^");
  }

  @Test
  void expandsAndSplitsWordsAsExposeDoes() {
    Substitution s = Substitution.standard();
    assertThat(s.expandWords("80 443/udp", LOOKUP)).containsExactly("80", "443/udp");
    // A variable's white space splits outside quotes, not inside.
    assertThat(s.expandWords("$SP z", LOOKUP)).containsExactly("x", "y", "z");
    assertThat(s.expandWords("\"$SP\" z", LOOKUP)).containsExactly(" x  y ", "z");
    assertThat(s.expandWords("a\\ b 'c d'", LOOKUP)).containsExactly("a b", "c d");
    assertThat(s.expandWords("'' x \"\"", LOOKUP)).containsExactly("x");
    assertThat(s.expandWords("  ", LOOKUP)).isEmpty();
    assertThat(s.expandWords("${UNSET:-8080 9090}", LOOKUP)).containsExactly("8080", "9090");
  }

  @Test
  void splitsWordsBeforeExpansionKeepingQuotes() {
    Substitution s = Substitution.standard();
    assertThat(s.words("a=\"b c\" d='e f' g=h\\ i")).containsExactly("a=\"b c\"", "d='e f'", "g=h\\ i");
    // Inside single quotes the escape is an ordinary character; at the very end it is dropped.
    assertThat(s.words("'a\\' b\\")).containsExactly("'a\\'", "b");
    assertThat(s.words("x=\"a \\\" b\" y")).containsExactly("x=\"a \\\" b\"", "y");
    // An unclosed quote runs to the end of the text.
    assertThat(s.words("a \"b c")).containsExactly("a", "\"b c");
    assertThat(s.words(" \t ")).isEmpty();
    assertThat(Substitution.withEscape('`').words("a=`\" b=c\\ d")).containsExactly("a=`\"", "b=c\\", "d");
  }

  @Test
  void splitsNamesFromValues() {
    assertThat(KeyValue.parse("a=b=c")).isEqualTo(new KeyValue("a", "b=c"));
    assertThat(KeyValue.parse("a=")).isEqualTo(new KeyValue("a", ""));
    assertThat(KeyValue.parse("a")).isEqualTo(new KeyValue("a", null));
    List<KeyValue> env = Containerfile.parse("FROM a\nENV A=1 B=\"$A 2\"\n", "Containerfile")
        .stages().get(0).instructions().get(0).keyValues();
    assertThat(env).containsExactly(new KeyValue("A", "1"), new KeyValue("B", "\"$A 2\""));
    assertThat(Substitution.standard().expand(env.get(1).value(), Map.of("A", "1")::get)).isEqualTo("1 2");
    assertThatThrownBy(() -> Containerfile.parse("FROM a\nRUN x\n", "C").stages().get(0).instructions().get(0).keyValues())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("RUN has no names and values");
  }
}
