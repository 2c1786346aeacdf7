package dev.strata.build.containerfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContainerfileTest {
  private static final String MULTI_STAGE = """
      # syntax=docker/dockerfile:1
      # escape=\\

      ARG BASE=debian:12
      FROM --platform=linux/amd64 $BASE AS Build
      # a comment
      RUN apt-get update \\
          # a comment inside a continuation
          && apt-get install -y make \\

          && make
      COPY --chown=1000:1000 --chmod=0755 ["src dir/", "/src/"]
      ENV A=1 B="two words" \\
          C=three
      ENV LEGACY value with spaces
      LABEL org.example="x y"
      FROM build
      COPY --from=build /out /app
      EXPOSE 80 53/udp
      VOLUME ["/data"]
      HEALTHCHECK --interval=30s --retries=3 CMD curl -f http://localhost/
      ENTRYPOINT ["/app/run"]
      CMD --help
      """;

  @Test
  void parsesStagesFlagsFormsAndContinuations() {
    Containerfile f = Containerfile.parse(MULTI_STAGE, "Containerfile");
    assertThat(f.globalArgs()).singleElement().satisfies(a -> {
      assertThat(a.line()).isEqualTo(4);
      assertThat(a.args()).containsExactly("BASE=debian:12");
    });
    assertThat(f.stages()).hasSize(2);
    Stage build = f.stages().get(0);
    assertThat(build.name()).isEqualTo("build");
    assertThat(build.from().flags()).isEqualTo(Map.of("platform", "linux/amd64"));
    assertThat(build.from().args()).containsExactly("$BASE");
    Instruction run = build.instructions().get(0);
    assertThat(run.line()).isEqualTo(7);
    assertThat(run.json()).isFalse();
    assertThat(run.args()).containsExactly("apt-get update     && apt-get install -y make     && make");
    Instruction copy = build.instructions().get(1);
    assertThat(copy.flags()).containsEntry("chown", "1000:1000").containsEntry("chmod", "0755");
    assertThat(copy.json()).isTrue();
    assertThat(copy.args()).containsExactly("src dir/", "/src/");
    assertThat(build.instructions().get(2).args()).containsExactly("A=1", "B=two words", "C=three");
    assertThat(build.instructions().get(3).args()).containsExactly("LEGACY=value with spaces");
    assertThat(build.instructions().get(4).args()).containsExactly("org.example=x y");
    Stage last = f.stages().get(1);
    assertThat(last.name()).isNull();
    assertThat(last.instructions()).extracting(Instruction::keyword)
        .containsExactly("COPY", "EXPOSE", "VOLUME", "HEALTHCHECK", "ENTRYPOINT", "CMD");
    assertThat(last.instructions().get(0).flags()).containsEntry("from", "build");
    assertThat(last.instructions().get(1).args()).containsExactly("80", "53/udp");
    Instruction health = last.instructions().get(3);
    assertThat(health.flags()).containsEntry("interval", "30s").containsEntry("retries", "3");
    assertThat(health.args()).containsExactly("curl -f http://localhost/");
    assertThat(last.instructions().get(4).json()).isTrue();
    assertThat(last.instructions().get(5).args()).containsExactly("--help");
  }

  @Test
  void theEscapeDirectiveMakesBacktickTheContinuation() {
    Containerfile f = Containerfile.parse("# escape=`\nFROM scratch\nCOPY a `\n  C:\\dir\\\n", "Dockerfile");
    assertThat(f.escape()).isEqualTo('`');
    assertThat(f.stages().get(0).instructions().get(0).args()).containsExactly("a", "C:\\dir\\");
  }

  @Test
  void anArrayThatIsNotJsonIsShellForm() {
    Instruction run = Containerfile.parse("FROM x\nRUN [ -f /etc/passwd ]\n", "f").stages().get(0).instructions().get(0);
    assertThat(run.json()).isFalse();
    assertThat(run.args()).containsExactly("[ -f /etc/passwd ]");
  }

  @Test
  void errorsNameTheFileAndLine() {
    assertError("FROM x\n\nCOPPY a b\n", "Containerfile:3: unknown instruction 'COPPY'");
    assertError("# just a comment\n", "Containerfile:1: no instructions");
    assertError("ARG A\n", "Containerfile:1: no FROM instruction");
    assertError("ENV A=1\nFROM x\n", "Containerfile:1: ENV before the first FROM (only ARG may come before it)");
    assertError("FROM x\nCOPY --form=y a b\n", "Containerfile:2: COPY takes no flag --form");
    assertError("FROM x AS a\nFROM y AS A\n", "Containerfile:2: a stage named 'a' comes twice");
    assertError("FROM x\nSHELL /bin/bash -c\n", "Containerfile:2: SHELL takes a JSON array, as [\"/bin/sh\", \"-c\"]");
    assertError("FROM x\nRUN <<EOF\necho\nEOF\n", "Containerfile:2: heredocs are not supported");
    assertError("FROM x\nLABEL novalue\n", "Containerfile:2: LABEL takes NAME=VALUE pairs");
    assertError("FROM x\nWORKDIR\n", "Containerfile:2: WORKDIR needs arguments");
    assertError("# escape=x\nFROM x\n", "Containerfile:1: escape directive 'x': the escape character must be \\ or `");
  }

  private static void assertError(String text, String message) {
    assertThatThrownBy(() -> Containerfile.parse(text, "Containerfile"))
        .isInstanceOf(ContainerfileException.class).hasMessage(message);
  }

  @Test
  void substitutesAsDockersBuilder() {
    Map<String, String> vars = Map.of("A", "a", "EMPTY", "", "PATH", "/bin");
    assertThat(expand("$A ${A} x${A}y $UNSET.", vars)).isEqualTo("a a xay .");
    assertThat(expand("${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${A:-d}", vars)).isEqualTo("d d  a");
    assertThat(expand("${A:+alt} ${EMPTY:+alt} ${EMPTY+alt} ${UNSET:+alt}", vars)).isEqualTo("alt  alt ");
    assertThat(expand("\\$A $ 100% ${PATH}:/usr/bin", vars)).isEqualTo("$A $ 100% /bin:/usr/bin");
    assertThatThrownBy(() -> expand("${A", vars)).hasMessageContaining("missing '}'");
    assertThatThrownBy(() -> expand("${A/x/y}", vars)).hasMessageContaining("unsupported modifier");
  }

  @Test
  void splitsWordsHonouringQuotes() {
    assertThat(Substitution.words("a \"b c\" 'd $e' f\\ g")).containsExactly("a", "b c", "\\d\\ \\$\\e", "f\\ g");
    assertThat(Substitution.words("'d $e'").stream().map(w -> expand(w, Map.of("e", "E"))).toList())
        .as("single quotes keep $ as written").containsExactly("d $e");
    assertThat(Substitution.words("k=\"it's\"")).containsExactly("k=it's");
    assertThatThrownBy(() -> Substitution.words("\"open")).hasMessageContaining("unmatched \"");
  }

  private static String expand(String word, Map<String, String> vars) {
    return Substitution.expand(word, vars::get);
  }

  @Test
  void ignoreRulesAsDocker() {
    IgnoreRules rules = IgnoreRules.parse("""
        # comment
        *.log
        /secret/
        !secret/keep.txt
        **/tmp
        ./build/*.o
        [ab].txt
        """);
    for (String excluded : List.of("x.log", "secret", "secret/key", "tmp", "deep/er/tmp", "deep/tmp/file",
        "build/a.o", "a.txt")) {
      assertThat(rules.excludes(excluded)).as(excluded).isTrue();
    }
    for (String included : List.of("x.log.txt", "dir/x.log", "secret/keep.txt", "build/sub/a.o", "c.txt",
        "tmpfile", "Containerfile")) {
      assertThat(rules.excludes(included)).as(included).isFalse();
    }
    assertThat(rules.mayHoldIncluded("secret")).isTrue();
    assertThat(IgnoreRules.parse("secret\n").mayHoldIncluded("secret")).isFalse();
    assertThat(IgnoreRules.parse("*\n!keep\n").excludes("keep")).isFalse();
  }
}
