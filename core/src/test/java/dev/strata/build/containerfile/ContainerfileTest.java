package dev.strata.build.containerfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading Containerfiles as Docker reads them: every instruction, both forms, its line quirks. */
class ContainerfileTest {
  private static final String MULTI_STAGE = """
      # syntax=docker/dockerfile:1
      # check=skip=JSONArgsRecommended
      ARG BASE=debian:bookworm-slim
      ARG GO_VERSION

      FROM --platform=$BUILDPLATFORM golang:${GO_VERSION:-1.22} AS Build
      WORKDIR /src
      # dependencies first, for the cache
      COPY --chown=1000:1000 --chmod=0644 go.mod go.sum ./
      RUN --mount=type=cache,target=/root/.cache/go-build \\
          --mount=type=cache,target=/go/pkg/mod \\
          go mod download
      COPY . .
      RUN go build -o /out/app \\
          # a comment inside a continuation is skipped

          -ldflags "-s -w" ./cmd/app
      ARG VERSION=dev

      FROM $BASE
      LABEL org.opencontainers.image.title="my app" \\
            org.opencontainers.image.version=1.0
      MAINTAINER someone@example.com
      ENV PATH=/app/bin:$PATH LANG="C.UTF-8"
      ENV LEGACY value   with spaces
      USER app:app
      EXPOSE 8080 8443/udp
      VOLUME ["/data", "/cache"]
      VOLUME /logs /tmp/x
      COPY --from=build --link /out/app /app/bin/app
      ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d \\
          https://example.com/a.tar.gz /opt/
      SHELL ["/bin/bash", "-o", "pipefail", "-c"]
      HEALTHCHECK --interval=30s --timeout=3s CMD curl -f http://localhost:8080/ || exit 1
      STOPSIGNAL SIGTERM
      ONBUILD COPY --chown=app . /app/src
      entrypoint ["/app/bin/app"]
      Cmd ["--help"]

      FROM build AS test
      HEALTHCHECK NONE
      RUN ["go", "test", "./..."]
      """;

  @Test
  void readsEveryInstructionOfAMultiStageFile() {
    Containerfile file = Containerfile.parse(MULTI_STAGE, "Containerfile");

    assertThat(file.escape()).isEqualTo('\\');
    assertThat(file.globalArgs()).containsExactly(
        new Instruction(3, "ARG", Map.of(), false, List.of("BASE=debian:bookworm-slim"), "ARG BASE=debian:bookworm-slim"),
        new Instruction(4, "ARG", Map.of(), false, List.of("GO_VERSION"), "ARG GO_VERSION"));
    assertThat(file.stages()).extracting(Stage::index, Stage::name, Stage::baseImage).containsExactly(
        tuple(0, "build", "golang:${GO_VERSION:-1.22}"),
        tuple(1, null, "$BASE"),
        tuple(2, "test", "build"));

    Stage build = file.stages().get(0);
    assertThat(build.from()).isEqualTo(new Instruction(6, "FROM", Map.of("platform", "$BUILDPLATFORM"), false,
        List.of("golang:${GO_VERSION:-1.22}", "AS", "Build"),
        "FROM --platform=$BUILDPLATFORM golang:${GO_VERSION:-1.22} AS Build"));
    assertThat(build.instructions()).containsExactly(
        new Instruction(7, "WORKDIR", Map.of(), false, List.of("/src"), "WORKDIR /src"),
        new Instruction(9, "COPY", Map.of("chown", "1000:1000", "chmod", "0644"), false,
            List.of("go.mod", "go.sum", "./"), "COPY --chown=1000:1000 --chmod=0644 go.mod go.sum ./"),
        new Instruction(10, "RUN", Map.of("mount", "type=cache,target=/root/.cache/go-build\ntype=cache,target=/go/pkg/mod"),
            false, List.of("go mod download"),
            "RUN --mount=type=cache,target=/root/.cache/go-build     --mount=type=cache,target=/go/pkg/mod     go mod download"),
        new Instruction(13, "COPY", Map.of(), false, List.of(".", "."), "COPY . ."),
        // Docker joins continuation lines as they are: the indentation stays, nothing is added.
        new Instruction(14, "RUN", Map.of(), false, List.of("go build -o /out/app     -ldflags \"-s -w\" ./cmd/app"),
            "RUN go build -o /out/app     -ldflags \"-s -w\" ./cmd/app"),
        new Instruction(18, "ARG", Map.of(), false, List.of("VERSION=dev"), "ARG VERSION=dev"));
    assertThat(build.instructions().get(2).flagValues("mount"))
        .containsExactly("type=cache,target=/root/.cache/go-build", "type=cache,target=/go/pkg/mod");

    Stage runtime = file.stages().get(1);
    assertThat(runtime.from()).isEqualTo(new Instruction(20, "FROM", Map.of(), false, List.of("$BASE"), "FROM $BASE"));
    assertThat(runtime.instructions()).containsExactly(
        new Instruction(21, "LABEL", Map.of(), false,
            List.of("org.opencontainers.image.title=\"my app\"", "org.opencontainers.image.version=1.0"),
            "LABEL org.opencontainers.image.title=\"my app\"       org.opencontainers.image.version=1.0"),
        new Instruction(23, "MAINTAINER", Map.of(), false, List.of("someone@example.com"),
            "MAINTAINER someone@example.com"),
        new Instruction(24, "ENV", Map.of(), false, List.of("PATH=/app/bin:$PATH", "LANG=\"C.UTF-8\""),
            "ENV PATH=/app/bin:$PATH LANG=\"C.UTF-8\""),
        new Instruction(25, "ENV", Map.of(), false, List.of("LEGACY=value   with spaces"),
            "ENV LEGACY value   with spaces"),
        new Instruction(26, "USER", Map.of(), false, List.of("app:app"), "USER app:app"),
        new Instruction(27, "EXPOSE", Map.of(), false, List.of("8080", "8443/udp"), "EXPOSE 8080 8443/udp"),
        new Instruction(28, "VOLUME", Map.of(), true, List.of("/data", "/cache"), "VOLUME [\"/data\", \"/cache\"]"),
        new Instruction(29, "VOLUME", Map.of(), false, List.of("/logs", "/tmp/x"), "VOLUME /logs /tmp/x"),
        new Instruction(30, "COPY", Map.of("from", "build", "link", "true"), false, List.of("/out/app", "/app/bin/app"),
            "COPY --from=build --link /out/app /app/bin/app"),
        new Instruction(31, "ADD",
            Map.of("checksum", "sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d"), false,
            List.of("https://example.com/a.tar.gz", "/opt/"),
            "ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d"
                + "     https://example.com/a.tar.gz /opt/"),
        new Instruction(33, "SHELL", Map.of(), true, List.of("/bin/bash", "-o", "pipefail", "-c"),
            "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]"),
        new Instruction(34, "HEALTHCHECK", Map.of("interval", "30s", "timeout", "3s"), false,
            List.of("CMD", "curl -f http://localhost:8080/ || exit 1"),
            "HEALTHCHECK --interval=30s --timeout=3s CMD curl -f http://localhost:8080/ || exit 1"),
        new Instruction(35, "STOPSIGNAL", Map.of(), false, List.of("SIGTERM"), "STOPSIGNAL SIGTERM"),
        new Instruction(36, "ONBUILD", Map.of(), false, List.of("COPY --chown=app . /app/src"),
            "ONBUILD COPY --chown=app . /app/src"),
        new Instruction(37, "ENTRYPOINT", Map.of(), true, List.of("/app/bin/app"), "entrypoint [\"/app/bin/app\"]"),
        new Instruction(38, "CMD", Map.of(), true, List.of("--help"), "Cmd [\"--help\"]"));
    assertThat(runtime.instructions().get(0).keyValues()).containsExactly(
        new KeyValue("org.opencontainers.image.title", "\"my app\""),
        new KeyValue("org.opencontainers.image.version", "1.0"));

    Stage test = file.stages().get(2);
    assertThat(test.instructions()).containsExactly(
        new Instruction(41, "HEALTHCHECK", Map.of(), false, List.of("NONE"), "HEALTHCHECK NONE"),
        new Instruction(42, "RUN", Map.of(), true, List.of("go", "test", "./..."), "RUN [\"go\", \"test\", \"./...\"]"));
    assertThat(file.stage("BUILD")).contains(build);
    assertThat(file.stage("1")).contains(runtime);
    assertThat(file.stage("3")).isEmpty();
    assertThat(file.stage("alpine")).isEmpty();
  }

  @Test
  void flagsKeepTheirOrderAndLoseTheirQuotes() {
    Instruction copy = only("FROM a\nCOPY --link=FALSE --chown=\"app user\" --exclude=*.md --exclude='*.txt' . /x\n");
    assertThat(copy.flags()).containsExactly(
        Map.entry("link", "false"), Map.entry("chown", "app user"), Map.entry("exclude", "*.md\n*.txt"));
    assertThat(copy.flagValues("exclude")).containsExactly("*.md", "*.txt");
    assertThat(copy.flagValues("from")).isEmpty();
    // A bare -- ends the flags, so the next word is an argument.
    assertThat(only("FROM a\nRUN --network=none -- --not-a-flag\n"))
        .isEqualTo(new Instruction(2, "RUN", Map.of("network", "none"), false, List.of("--not-a-flag"),
            "RUN --network=none -- --not-a-flag"));
  }

  @Test
  void theExecFormIsOnlyAValidJsonArrayOfStrings() {
    assertThat(args("CMD [\"a\", \"b c\", \"\\u00e9\"]")).containsExactly("json", "a", "b c", "é");
    assertThat(args("CMD []")).containsExactly("json");
    assertThat(args("ENTRYPOINT []")).containsExactly("json");
    // Anything else is the shell form, as Docker falls back to it.
    assertThat(args("RUN [ -f /etc/os-release ] && cat /etc/os-release"))
        .containsExactly("shell", "[ -f /etc/os-release ] && cat /etc/os-release");
    assertThat(args("CMD ['single', 'quotes']")).containsExactly("shell", "['single', 'quotes']");
    assertThat(args("CMD [\"a\"] trailing")).containsExactly("shell", "[\"a\"] trailing");
    assertThat(args("CMD [\"unclosed\"")).containsExactly("shell", "[\"unclosed\"");
    assertThat(args("COPY [\"a b\", \"/c d/\"]")).containsExactly("json", "a b", "/c d/");
    // Where Docker splits at white space, quotes do not hold words together.
    assertThat(args("COPY \"a b\" /x/")).containsExactly("shell", "\"a", "b\"", "/x/");
    assertThat(args("VOLUME [\" /data \"]")).containsExactly("json", "/data");
    assertThat(args("HEALTHCHECK cmd [\"curl\", \"-f\", \"http://x/\"]"))
        .containsExactly("json", "CMD", "curl", "-f", "http://x/");
    assertThat(args("WORKDIR /my dir/")).containsExactly("shell", "/my dir/");
    assertThat(args("USER 1000:1000")).containsExactly("shell", "1000:1000");
  }

  @Test
  void readsEnvLabelAndArgWords() {
    assertThat(only("FROM a\nENV a=b c=\"d e\" f='g h' i=j\\ k l=\n").args())
        .containsExactly("a=b", "c=\"d e\"", "f='g h'", "i=j\\ k", "l=");
    assertThat(only("FROM a\nENV A B C\n").keyValues()).containsExactly(new KeyValue("A", "B C"));
    assertThat(only("FROM a\nLABEL \"quoted key\"=v\n").keyValues())
        .containsExactly(new KeyValue("\"quoted key\"", "v"));
    assertThat(only("FROM a\nARG a b=c \"d=e f\" g=h=i\n").keyValues()).containsExactly(
        new KeyValue("a", null), new KeyValue("b", "c"), new KeyValue("\"d", "e f\""), new KeyValue("g", "h=i"));
  }

  @Test
  void joinsContinuationsAsDockerDoes() {
    // No space is added, and the next line's indentation is kept.
    assertThat(only("FROM a\nRUN echo a\\\nb \\\n  c\n").args()).containsExactly("echo ab   c");
    // Spaces after the escape still continue the line.
    assertThat(only("FROM a\nRUN echo a \\  \t\nb\n").args()).containsExactly("echo a b");
    // An escaped escape does not continue it.
    assertThat(parse("FROM a\nRUN echo \\\\\nRUN b\n").stages().get(0).instructions())
        .extracting(Instruction::line, Instruction::args)
        .containsExactly(tuple(2, List.of("echo \\\\")),
            tuple(3, List.of("b")));
    // The file may end inside a continuation.
    assertThat(only("FROM a\nRUN a \\\n").args()).containsExactly("a");
    // Comments and blank lines inside a continuation are skipped; a # later in a line is text.
    assertThat(only("FROM a\nRUN a \\\n  # note \\\n\n   \n  b # not a comment\n").args())
        .containsExactly("a   b # not a comment");
  }

  @Test
  void readsLineEndingsCommentsAndCase() {
    Containerfile file = parse("\uFEFF# comment\r\n\r\n  from alpine as Base\r\n\tRun echo hi\r\n");
    assertThat(file.stages().get(0).name()).isEqualTo("base");
    assertThat(file.stages().get(0).from().line()).isEqualTo(3);
    assertThat(file.stages().get(0).instructions())
        .containsExactly(new Instruction(4, "RUN", Map.of(), false, List.of("echo hi"), "Run echo hi"));
  }

  @Test
  void theEscapeDirectiveSwitchesToBacktick() {
    Containerfile file = parse("""
        # escape=`
        FROM mcr.microsoft.com/windows/servercore
        WORKDIR C:\\app
        RUN dir `
            C:\\
        COPY a.txt C:\\dest\\
        ENV X="a`"b" Y=c`
        """);
    assertThat(file.escape()).isEqualTo('`');
    assertThat(file.stages().get(0).instructions()).extracting(Instruction::line, Instruction::args).containsExactly(
        tuple(3, List.of("C:\\app")),
        tuple(4, List.of("dir     C:\\")),
        tuple(6, List.of("a.txt", "C:\\dest\\")),
        tuple(7, List.of("X=\"a`\"b\"", "Y=c")));
    Substitution words = Substitution.withEscape(file.escape());
    assertThat(words.expand("\"a`\"b\"", name -> null)).isEqualTo("a\"b");
  }

  @Test
  void directivesCountOnlyAtTheTop() {
    // After a comment, a blank line or an unknown directive, a directive is only a comment.
    for (String top : List.of("# a comment\n", "\n", "# unknown=directive\n", "FROM a\n")) {
      Containerfile file = parse(top + "# escape=`\n" + (top.startsWith("FROM") ? "" : "FROM a\n") + "RUN a `\n");
      assertThat(file.escape()).isEqualTo('\\');
      assertThat(file.stages().get(0).instructions().get(0).args()).containsExactly("a `");
    }
    Containerfile file = parse("# syntax=docker/dockerfile:1.7\n#ESCAPE = `\n# check=error=true\nFROM a\nRUN a `\n b\n");
    assertThat(file.escape()).isEqualTo('`');
    assertThat(file.stages().get(0).instructions().get(0).args()).containsExactly("a  b");
  }

  @Test
  void keepsTheTriggerOfOnbuildAsText() {
    assertThat(only("FROM a\nonbuild  run --mount=type=cache,target=/c make  \n"))
        .isEqualTo(new Instruction(2, "ONBUILD", Map.of(), false, List.of("run --mount=type=cache,target=/c make"),
            "onbuild  run --mount=type=cache,target=/c make"));
  }

  @Test
  void hereStringsAndQuotedArrowsAreNotHeredocs() {
    assertThat(only("FROM a\nRUN cat <<<\"text\"\n").args()).containsExactly("cat <<<\"text\"");
    assertThat(only("FROM a\nRUN echo '<<EOF' \"<<X\" \\<<Y a<<b\n").args()).containsExactly("echo '<<EOF' \"<<X\" \\<<Y a<<b");
    assertThat(only("FROM a\nRUN [\"sh\", \"-c\", \"cat <<EOF\"]\n").args()).containsExactly("sh", "-c", "cat <<EOF");
  }

  private static Containerfile parse(String text) {
    return Containerfile.parse(text, "Containerfile");
  }

  /** The one instruction of a file's one stage. */
  private static Instruction only(String text) {
    List<Instruction> instructions = parse(text).stages().get(0).instructions();
    assertThat(instructions).hasSize(1);
    return instructions.get(0);
  }

  /** "json" or "shell", then the args of one instruction after FROM. */
  private static List<String> args(String line) {
    Instruction instruction = only("FROM a\n" + line + "\n");
    List<String> out = new ArrayList<>(List.of(instruction.json() ? "json" : "shell"));
    out.addAll(instruction.args());
    return out;
  }
}
