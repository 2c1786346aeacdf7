package dev.strata.build.containerfile;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A parsed Containerfile (a Dockerfile by another name): the ARGs before the first FROM and the
 * stages, every instruction as written. {@link #parse} reads the syntax Docker's parser reads and
 * refuses, with the file and line, what could not be built.
 *
 * @param globalArgs the ARG instructions before the first FROM, which only FROM lines see
 * @param stages the stages, in order; at least one
 * @param escape the escape character: {@code \}, or {@code `} when the escape directive says so;
 *     {@link Substitution#withEscape} takes it, since it escapes within words too
 */
public record Containerfile(List<Instruction> globalArgs, List<Stage> stages, char escape) {
  public Containerfile {
    globalArgs = List.copyOf(globalArgs);
    stages = List.copyOf(stages);
  }

  /**
   * Parses a Containerfile.
   *
   * @param text the file's text
   * @param fileName the name to show in messages, e.g. {@code Containerfile}
   * @throws ContainerfileException naming the file and line of the first fault
   */
  public static Containerfile parse(String text, String fileName) {
    LogicalLines.Source source = LogicalLines.read(text, fileName);
    if (source.lines().isEmpty()) {
      throw new ContainerfileException(fileName, 0, "the file holds no instructions");
    }
    StageAssembler assembler = new StageAssembler(fileName);
    for (LogicalLines.Line line : source.lines()) {
      Instruction instruction;
      try {
        instruction = InstructionParser.parse(line.number(), line.text(), source.escape());
      } catch (Malformed e) {
        throw new ContainerfileException(fileName, line.number(), e.getMessage());
      }
      assembler.add(instruction);
    }
    return assembler.finish(source.escape());
  }

  /**
   * The stage a reference names, as {@code COPY --from} and {@code FROM} resolve one: by name in
   * any case, else by index when it is a number.
   */
  public Optional<Stage> stage(String reference) {
    String name = reference.toLowerCase(Locale.ROOT);
    Optional<Stage> named = stages.stream().filter(s -> name.equals(s.name())).findFirst();
    if (named.isPresent() || !reference.matches("[0-9]{1,9}")) {
      return named;
    }
    int index = Integer.parseInt(reference);
    return index < stages.size() ? Optional.of(stages.get(index)) : Optional.empty();
  }
}
