package dev.strata.build.containerfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What cannot be built is refused with the file, the line the instruction starts on, and why. */
class ContainerfileErrorsTest {
  @Test
  void namesTheFileAndTheLine() {
    String text = """
        # syntax=docker/dockerfile:1
        FROM alpine:3.20 AS build
        RUN apk add --no-cache \\
            make \\
            gcc

        COPPY . /src
        """;
    assertThatThrownBy(() -> Containerfile.parse(text, "Containerfile"))
        .isInstanceOf(ContainerfileException.class)
        .hasMessage("Containerfile:7: unknown instruction 'COPPY'")
        .satisfies(e -> {
          ContainerfileException c = (ContainerfileException) e;
          assertThat(c.line()).isEqualTo(7);
          assertThat(c.fileName()).isEqualTo("Containerfile");
          assertThat(c.detail()).isEqualTo("unknown instruction 'COPPY'");
        });
  }

  @ParameterizedTest
  @MethodSource("faults")
  void refuses(String text, String message) {
    assertThatThrownBy(() -> Containerfile.parse(text, "app/Containerfile"))
        .isInstanceOf(ContainerfileException.class)
        .hasMessage(message);
  }

  static Stream<Arguments> faults() {
    return Stream.of(
        // The whole file.
        fault("", "app/Containerfile: the file holds no instructions"),
        fault("# only a comment\n\n   \n", "app/Containerfile: the file holds no instructions"),
        fault("ARG VERSION=1\n", "app/Containerfile: no FROM instruction: there is no stage to build"),
        fault("ARG A\nRUN make\nFROM a\n", "app/Containerfile:2: RUN before the first FROM: only ARG may come before it"),
        fault("FROM a AS x\nRUN a\nFROM b AS X\n",
            "app/Containerfile:3: the stage name 'x' is already taken by the stage at line 1"),
        // Directives.
        fault("# escape=x\nFROM a\n", "app/Containerfile:1: the escape directive takes \\ or `, not 'x'"),
        fault("# escape=`\n# escape=\\\nFROM a\n", "app/Containerfile:2: the escape directive is given twice"),
        // Keywords and their flags; the line is where the instruction starts.
        fault("FROM a\nrun a \\\n  b \\\n  c\ncoppy . /\n", "app/Containerfile:5: unknown instruction 'coppy'"),
        fault("FROM a\nCOPY --form=build a b\n", "app/Containerfile:2: COPY does not take the flag --form"),
        fault("FROM a\nWORKDIR --x=1 /a\n", "app/Containerfile:2: WORKDIR does not take the flag --x"),
        fault("FROM a\nCMD --help\n", "app/Containerfile:2: CMD does not take the flag --help"),
        fault("FROM a\nCOPY --from=a --from=b x y\n", "app/Containerfile:2: the flag --from is given twice"),
        fault("FROM a\nCOPY --from x y\n", "app/Containerfile:2: the flag --from needs a value: --from=..."),
        fault("FROM a\nCOPY --link=yes x y\n", "app/Containerfile:2: the flag --link takes true or false, not 'yes'"),
        fault("FROM a\nHEALTHCHECK --interval=5s NONE\n", "app/Containerfile:2: HEALTHCHECK NONE takes no flags"),
        // Arguments.
        fault("FROM a\nCMD [\"echo\", 1]\n",
            "app/Containerfile:2: the exec form must be a JSON array of strings only: [\"echo\", 1]"),
        fault("FROM a\nRUN <<EOF\necho hi\nEOF\n", "app/Containerfile:2: heredocs are not supported"),
        fault("FROM a\nCOPY <<-EOT /x\nEOT\n", "app/Containerfile:2: heredocs are not supported"),
        fault("FROM a\nRUN cat << EOF > /x\n", "app/Containerfile:2: heredocs are not supported"),
        fault("FROM\n", "app/Containerfile:1: FROM takes an image, optionally followed by AS and a stage name"),
        fault("FROM a b\n", "app/Containerfile:1: FROM takes an image, optionally followed by AS and a stage name"),
        fault("FROM a AS 1st\n", "app/Containerfile:1: '1st' is not a stage name: it starts with a letter and holds"
            + " only letters, digits, '-', '_' and '.'"),
        fault("FROM a\nCOPY only-one\n", "app/Containerfile:2: COPY needs at least one source and a destination"),
        fault("FROM a\nADD [\"only-one\"]\n", "app/Containerfile:2: ADD needs at least one source and a destination"),
        fault("FROM a\nVOLUME\n", "app/Containerfile:2: VOLUME needs at least one path"),
        fault("FROM a\nVOLUME [\"/a\", \" \"]\n", "app/Containerfile:2: VOLUME paths may not be empty"),
        fault("FROM a\nEXPOSE\n", "app/Containerfile:2: EXPOSE needs at least one port"),
        fault("FROM a\nRUN\n", "app/Containerfile:2: RUN needs a command"),
        fault("FROM a\nRUN []\n", "app/Containerfile:2: RUN needs a command"),
        fault("FROM a\nCMD\n", "app/Containerfile:2: CMD needs a command"),
        fault("FROM a\nSHELL /bin/bash -c\n",
            "app/Containerfile:2: SHELL takes the exec form: SHELL [\"executable\", \"parameters\"]"),
        fault("FROM a\nSHELL []\n", "app/Containerfile:2: SHELL needs a command"),
        fault("FROM a\nUSER\n", "app/Containerfile:2: USER needs an argument"),
        fault("FROM a\nENV\n", "app/Containerfile:2: ENV needs at least one name=value"),
        fault("FROM a\nENV A\n", "app/Containerfile:2: ENV needs a value for 'A': ENV A=value"),
        fault("FROM a\nLABEL a=b c\n", "app/Containerfile:2: 'c' is not of the form name=value"),
        fault("FROM a\nENV =b\n", "app/Containerfile:2: ENV names may not be empty"),
        fault("FROM a\nARG\n", "app/Containerfile:2: ARG needs a name"),
        fault("FROM a\nARG =x\n", "app/Containerfile:2: ARG names may not be empty"),
        fault("FROM a\nHEALTHCHECK\n", "app/Containerfile:2: HEALTHCHECK needs NONE, or CMD and a command"),
        fault("FROM a\nHEALTHCHECK NONE now\n", "app/Containerfile:2: HEALTHCHECK NONE takes no arguments"),
        fault("FROM a\nHEALTHCHECK CMD\n", "app/Containerfile:2: HEALTHCHECK CMD needs a command"),
        fault("FROM a\nHEALTHCHECK RUN true\n", "app/Containerfile:2: HEALTHCHECK takes NONE or CMD, not 'RUN'"),
        fault("FROM a\nONBUILD\n", "app/Containerfile:2: ONBUILD needs an instruction"),
        fault("FROM a\nONBUILD ONBUILD RUN x\n",
            "app/Containerfile:2: ONBUILD ONBUILD is not allowed: triggers do not chain"),
        fault("FROM a\nONBUILD from b\n", "app/Containerfile:2: FROM is not allowed as an ONBUILD trigger"),
        fault("FROM a\nONBUILD MAINTAINER me\n", "app/Containerfile:2: MAINTAINER is not allowed as an ONBUILD trigger"),
        fault("FROM a\nONBUILD COPPY . /\n", "app/Containerfile:2: unknown instruction 'COPPY'"),
        fault("FROM a\nONBUILD COPY x\n", "app/Containerfile:2: COPY needs at least one source and a destination"));
  }

  private static Arguments fault(String text, String message) {
    return Arguments.of(text, message);
  }
}
