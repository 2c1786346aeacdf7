package dev.strata.build.containerfile;

import java.util.List;
import java.util.Map;

/**
 * One instruction as written, before substitution.
 *
 * <p>What {@code args} holds: for {@code json} (exec form) the array's strings; for RUN, CMD,
 * ENTRYPOINT, ONBUILD, MAINTAINER, WORKDIR, USER and STOPSIGNAL in shell form, the text after the
 * keyword and flags, continuations joined, as one element; for HEALTHCHECK, {@code ["NONE"]} or
 * the command after {@code CMD} in exec or shell form as for CMD; for FROM the image (its
 * {@code AS name} is the stage's); for COPY, ADD, EXPOSE, VOLUME and ARG the words, quotes
 * removed; for ENV and LABEL one {@code name=value} element per pair, quotes removed (the legacy
 * {@code ENV name value...} form is one pair). Backslash escapes are left for {@link
 * Substitution#expand}.
 *
 * @param line the line it starts on, from 1
 * @param keyword the instruction, upper case
 * @param flags its leading {@code --name=value} flags (a bare {@code --name} has value "true")
 * @param json whether it is in exec (JSON array) form
 * @param original its text as written, continuations joined: for history and messages
 */
public record Instruction(int line, String keyword, Map<String, String> flags, boolean json, List<String> args,
    String original) {
  public Instruction {
    flags = Map.copyOf(flags);
    args = List.copyOf(args);
  }
}
