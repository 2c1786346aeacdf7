package dev.strata.build.containerfile;

import java.util.List;
import java.util.Objects;

/**
 * A build stage: a FROM and the instructions up to the next one.
 *
 * @param index the stage's place in the file, from 0 ({@code COPY --from=0} names it so)
 * @param name the name {@code FROM image AS name} gives it, lower-cased as Docker does; null when
 *     it has none
 * @param from the FROM instruction
 * @param instructions the instructions after FROM, in order
 */
public record Stage(int index, String name, Instruction from, List<Instruction> instructions) {
  public Stage {
    Objects.requireNonNull(from, "from");
    instructions = List.copyOf(instructions);
  }

  /** The image the stage starts from as written ({@code alpine:3.20}, {@code $BASE}, a stage name). */
  public String baseImage() {
    return from.args().get(0);
  }
}
