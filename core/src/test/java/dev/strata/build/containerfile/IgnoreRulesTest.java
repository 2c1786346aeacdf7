package dev.strata.build.containerfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Which context paths an ignore file leaves out, with moby's patternmatcher as the reference. */
class IgnoreRulesTest {
  /**
   * A realistic ignore file over a small context. buildah 1.28 copied this context without the
   * same files but {@code xfoo}, {@code bar/xfoo} and {@code build/out.o}: its older matcher
   * lacks the shortcut of patterns that start with {@code **}, which Docker's has.
   */
  @Test
  void excludesWhatARealisticFileSays() {
    IgnoreRules rules = IgnoreRules.parse("""
        # comment
         # not a comment: a pattern
        **/*.log
        !dir/sub/*.log
        docs
        !docs/README.md
        **/node_modules
        /src/test
        ./cache2/
        **foo
        **.o
        !build/keep/**
        logs
        !logs/keep
        """);
    List<String> context = List.of(".containerignore", "a.txt", "b.log", "dir/x.log", "dir/sub/y.log",
        "dir/keep.txt", "docs/README.md", "docs/guide.md", "node_modules/p/index.js", "lib/node_modules/q/i.js",
        "src/main.c", "src/test/t.c", "cache2/x", "cache/y", "foo", "xfoo", "bar/foo", "bar/xfoo", "build/out.o",
        "build/keep/k.o", "sp ace.txt", "logs/2024/app.log", "logs/keep/app.log");
    assertThat(context.stream().filter(p -> !rules.excludes(p))).containsExactly(".containerignore", "a.txt",
        "dir/sub/y.log", "dir/keep.txt", "docs/README.md", "src/main.c", "cache/y", "build/keep/k.o", "sp ace.txt",
        "logs/keep/app.log");
    assertThat(rules.patterns()).containsExactly("# not a comment: a pattern", "**/*.log", "!dir/sub/*.log", "docs",
        "!docs/README.md", "**/node_modules", "src/test", "cache2", "**foo", "**.o", "!build/keep/**", "logs",
        "!logs/keep");
  }

  @ParameterizedTest(name = "{0} on {1}: {2}")
  @CsvSource(delimiter = '|', textBlock = """
      a.txt            | a.txt          | true
      a.txt            | b/a.txt        | false
      a.txt            | a.txt/inner    | true
      /a.txt           | a.txt          | true
      ./a.txt          | a.txt          | true
      a/../b           | b              | true
      dir/             | dir/file       | true
      *.txt            | a.txt          | true
      *.txt            | d/a.txt        | false
      */*.txt          | d/a.txt        | true
      */*.txt          | d/e/a.txt      | false
      ?.txt            | a.txt          | true
      ?.txt            | ab.txt         | false
      a?b              | a/b            | false
      [ab].txt         | b.txt          | true
      [ab].txt         | c.txt          | false
      [^ab].txt        | c.txt          | true
      [^ab].txt        | a.txt          | false
      [a-c]x           | bx             | true
      [a-c]x           | dx             | false
      [\\]]x           | ]x             | true
      \\*.txt          | *.txt          | true
      \\*.txt          | a.txt          | false
      a\\              | a\\            | true
      **               | anything/at/all| true
      **/*.go          | main.go        | true
      **/*.go          | a/b/main.go    | true
      a/**/b           | a/b            | true
      a/**/b           | a/x/y/b        | true
      a/**/b           | a/x/y/c        | false
      a/**             | a/x            | true
      a/**             | a              | false
      a**              | abc/d          | true
      **/.foo          | .foo           | true
      **/.foo          | bar.foo        | false
      **.log           | x/y/a.log      | true
      **foo*           | xfoo           | false
      **/foo*          | a/foobar       | true
      .git             | .git/HEAD      | true
      .git             | a/.git/HEAD    | false
      """)
  void matchesOnePattern(String pattern, String path, boolean excluded) {
    assertThat(IgnoreRules.parse(pattern).excludes(path)).isEqualTo(excluded);
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("exceptions")
  void theLastMatchingLineWins(String text, String path, boolean excluded) {
    assertThat(IgnoreRules.parse(text).excludes(path)).isEqualTo(excluded);
  }

  static Stream<Arguments> exceptions() {
    return Stream.of(
        Arguments.of("*.md\n!README.md", "README.md", false),
        Arguments.of("*.md\n!README.md", "CHANGES.md", true),
        Arguments.of("!README.md\n*.md", "README.md", true),
        Arguments.of("*.md\n!README*.md\nREADME-secret.md", "README-secret.md", true),
        Arguments.of("*.md\n!README*.md\nREADME-secret.md", "README-public.md", false),
        Arguments.of("**\n!src\n!go.mod", "src/a/b.go", false),
        Arguments.of("**\n!src\n!go.mod", "go.mod", false),
        Arguments.of("**\n!src\n!go.mod", "docs/x", true),
        Arguments.of("**\n!src\nsrc/vendor", "src/vendor/x.go", true),
        Arguments.of("vendor\n!vendor/keep\n", "vendor/keep/a", false),
        Arguments.of("  !  keep  ", "keep", false),
        Arguments.of("", "anything", false));
  }

  @Test
  void neverExcludesTheRootAndCleansPaths() {
    IgnoreRules all = IgnoreRules.parse("**\n*\n.\n");
    assertThat(all.excludes(".")).isFalse();
    assertThat(all.excludes("")).isFalse();
    assertThat(all.excludes("/")).isFalse();
    IgnoreRules rules = IgnoreRules.parse("a/b");
    assertThat(rules.excludes("./a//b/")).isTrue();
    assertThat(rules.excludes("/a/b/c")).isTrue();
    assertThat(rules.excludes("a/x/../b")).isTrue();
    assertThat(IgnoreRules.none().excludes("a")).isFalse();
  }

  @ParameterizedTest(name = "{0}: {1} -> {2}")
  @MethodSource("descents")
  void tellsAWalkWhetherToDescend(String text, String dir, boolean mayHoldIncluded) {
    assertThat(IgnoreRules.parse(text).mayHoldIncluded(dir)).isEqualTo(mayHoldIncluded);
  }

  static Stream<Arguments> descents() {
    return Stream.of(
        // Not excluded: a walk goes in anyway.
        Arguments.of("docs", "src", true),
        Arguments.of("docs", ".", true),
        // Excluded, and nothing takes anything below back.
        Arguments.of("docs", "docs", false),
        Arguments.of("docs\n!src/x", "docs", false),
        Arguments.of("!docs/README.md\ndocs", "docs", false),
        Arguments.of("docs\n!docs/README.md\ndocs", "docs", false),
        Arguments.of("docs\n!other/**", "docs", false),
        Arguments.of("docs\n!doc", "docs", false),
        Arguments.of("a\n!a/b[cd]/x", "a/be", false),
        // Excluded, but an exception after the exclusion may match below.
        Arguments.of("docs\n!docs/README.md", "docs", true),
        Arguments.of("docs\n!docs/**/*.md", "docs", true),
        Arguments.of("docs\n!docs/a/b/c", "docs/a", true),
        Arguments.of("*\n!*/keep", "anything", true),
        Arguments.of("a\n!a/b[cd]/x", "a/bc", true),
        Arguments.of("**\n!**/keep", "deep/dir", true),
        Arguments.of("**\n!**.txt", "deep/dir", true),
        Arguments.of("**\n!d**", "dx", true),
        Arguments.of("**\n!d**", "e", false));
  }

  @Test
  void refusesMalformedPatternsWithTheirLine() {
    assertThatThrownBy(() -> IgnoreRules.parse("ok\n\n  [abc\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("line 3: '[abc': a '[' is not closed");
    assertThatThrownBy(() -> IgnoreRules.parse("a\n!\n"))
        .hasMessage("line 2: '!': '!' needs a pattern after it");
    assertThatThrownBy(() -> IgnoreRules.parse("[]a]"))
        .hasMessage("line 1: '[]a]': ']' in a class must be escaped");
    assertThatThrownBy(() -> IgnoreRules.parse("[z-a]"))
        .hasMessage("line 1: '[z-a]': the range z-a is reversed");
  }

  @Test
  void readsCommentsOnlyInTheFirstColumnAndIgnoresCrLfAndBom() {
    IgnoreRules rules = IgnoreRules.parse("\uFEFF#x\r\n *.tmp \r\n\r\n#y");
    assertThat(rules.patterns()).containsExactly("*.tmp");
    assertThat(rules.excludes("a.tmp")).isTrue();
    assertThat(rules.excludes("#x")).isFalse();
  }
}
