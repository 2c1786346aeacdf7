package dev.strata.build.containerfile;

import static dev.strata.build.containerfile.FlagSpec.bool;
import static dev.strata.build.containerfile.FlagSpec.repeated;
import static dev.strata.build.containerfile.FlagSpec.text;

import java.util.List;
import java.util.Optional;

/**
 * The instructions of a Containerfile: how each one's arguments are read and the flags it takes
 * (those of Dockerfile syntax 1, as BuildKit's parser accepts them).
 */
enum Keyword {
  ADD(Form.LIST, text("chown"), text("chmod"), bool("link"), bool("keep-git-dir"), text("checksum"),
      bool("unpack"), repeated("exclude")),
  ARG(Form.NAMES),
  CMD(Form.COMMAND),
  COPY(Form.LIST, text("from"), text("chown"), text("chmod"), bool("link"), bool("parents"), repeated("exclude")),
  ENTRYPOINT(Form.COMMAND),
  ENV(Form.PAIRS),
  EXPOSE(Form.WORDS),
  FROM(Form.WORDS, text("platform")),
  HEALTHCHECK(Form.HEALTHCHECK, text("interval"), text("timeout"), text("start-period"), text("start-interval"),
      text("retries")),
  LABEL(Form.PAIRS),
  MAINTAINER(Form.TEXT),
  ONBUILD(Form.TRIGGER),
  RUN(Form.COMMAND, repeated("mount"), text("network"), text("security"), repeated("device")),
  SHELL(Form.COMMAND),
  STOPSIGNAL(Form.TEXT),
  USER(Form.TEXT),
  VOLUME(Form.LIST),
  WORKDIR(Form.TEXT);

  /** How the text after the keyword and its flags becomes {@link Instruction#args()}. */
  enum Form {
    /** Exec form (a JSON array of strings) or shell form (the text, as one argument). */
    COMMAND,
    /** Exec form, or the text split at white space. */
    LIST,
    /** The text split at white space; never JSON. */
    WORDS,
    /** {@code name=value} words, or the legacy {@code name value} (Docker's ENV and LABEL). */
    PAIRS,
    /** {@code name} or {@code name=value} words (ARG). */
    NAMES,
    /** The whole text as one argument, white space and all. */
    TEXT,
    /** {@code NONE}, or {@code CMD} and a command in exec or shell form. */
    HEALTHCHECK,
    /** Another instruction, kept as text (ONBUILD). */
    TRIGGER
  }

  private final Form form;
  private final List<FlagSpec> flags;

  Keyword(Form form, FlagSpec... flags) {
    this.form = form;
    this.flags = List.of(flags);
  }

  Form form() {
    return form;
  }

  Optional<FlagSpec> flag(String name) {
    return flags.stream().filter(f -> f.name().equals(name)).findFirst();
  }

  /** The keyword a word names, in any case; only ASCII letters fold, as in Docker. */
  static Optional<Keyword> of(String word) {
    for (Keyword k : values()) {
      if (k.name().equalsIgnoreCase(word) && word.chars().allMatch(c -> c < 0x80)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }
}
