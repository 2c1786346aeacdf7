package dev.strata.build.containerfile;

import com.google.common.base.Splitter;
import com.google.common.collect.ImmutableMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One instruction of a Containerfile, as written: nothing is expanded yet, since the values of
 * variables are only known while building ({@link Substitution} expands them then).
 *
 * <p>What {@link #args()} holds, by keyword:
 *
 * <table>
 * <caption>args by keyword</caption>
 * <tr><th>keyword</th><th>args</th></tr>
 * <tr><td>RUN, CMD, ENTRYPOINT, SHELL</td><td>exec form ({@link #json()}): the array's strings;
 *     shell form: one element, the command text (SHELL takes only the exec form; {@code CMD []}
 *     and {@code ENTRYPOINT []} are empty)</td></tr>
 * <tr><td>COPY, ADD</td><td>exec form: the array's strings; shell form: the words, split at white
 *     space (quotes are not word boundaries here, as in Docker: a path with spaces needs the exec
 *     form); the last is the destination</td></tr>
 * <tr><td>VOLUME</td><td>the same as COPY, each path trimmed</td></tr>
 * <tr><td>FROM</td><td>the words: {@code [image]} or {@code [image, AS, name]}, as written (the
 *     stage's lower-cased name is {@link Stage#name()})</td></tr>
 * <tr><td>EXPOSE</td><td>the words, split at white space: {@code [80, 443/udp]}</td></tr>
 * <tr><td>ENV, LABEL</td><td>{@code name=value} words as written, quotes and escapes kept:
 *     {@code [a=b, c="d e"]}; the legacy form {@code ENV a b c} as {@code [a=b c]}, its value the
 *     rest of the line. {@link #keyValues()} splits them</td></tr>
 * <tr><td>ARG</td><td>{@code name} or {@code name=default} words as written</td></tr>
 * <tr><td>USER, WORKDIR, STOPSIGNAL, MAINTAINER</td><td>one element, the whole text, white space
 *     and all (Docker takes {@code WORKDIR /my dir} as one path)</td></tr>
 * <tr><td>HEALTHCHECK</td><td>{@code [NONE]}, or {@code [CMD, command]} in shell form, or {@code
 *     [CMD, executable, params...]} in exec form; the type is upper-cased</td></tr>
 * <tr><td>ONBUILD</td><td>one element, the trigger instruction's text ({@code RUN make}); it
 *     was parsed and checked, and is kept as text as image configs keep it</td></tr>
 * </table>
 *
 * @param line the 1-based line the instruction starts on
 * @param keyword the instruction, upper-case: FROM, RUN, COPY, ...
 * @param flags the leading flags by name without dashes, in the order given: {@code --from=build}
 *     is {@code from -> build}; a bare boolean flag ({@code --link}) is {@code true}; a flag given
 *     more than once (RUN's {@code --mount}, COPY's {@code --exclude}) holds its values joined by
 *     newlines, which no value can hold: {@link #flagValues} splits them
 * @param json whether the arguments were in exec form, a JSON array of strings
 * @param args the arguments, as the table above says
 * @param original the instruction's text as written, continuation lines joined, trimmed: for
 *     history entries and messages
 */
public record Instruction(
    int line, String keyword, Map<String, String> flags, boolean json, List<String> args, String original) {
  private static final Set<String> KEY_VALUE_KEYWORDS = Set.of("ENV", "LABEL", "ARG");

  public Instruction {
    Objects.requireNonNull(keyword, "keyword");
    Objects.requireNonNull(original, "original");
    flags = ImmutableMap.copyOf(flags);
    args = List.copyOf(args);
  }

  /** The values of a flag in the order given; empty when it was not given. */
  public List<String> flagValues(String name) {
    String value = flags.get(name);
    return value == null ? List.of() : Splitter.on(Flags.SEPARATOR).splitToList(value);
  }

  /** ENV's, LABEL's or ARG's names and values as written, in order. */
  public List<KeyValue> keyValues() {
    if (!KEY_VALUE_KEYWORDS.contains(keyword)) {
      throw new IllegalStateException(keyword + " has no names and values");
    }
    return args.stream().map(KeyValue::parse).toList();
  }
}
