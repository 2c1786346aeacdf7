package dev.strata.build.containerfile;

import java.util.List;

/**
 * A build stage: a FROM and the instructions up to the next.
 *
 * @param index its place, from 0
 * @param name the name {@code FROM image AS name} gives it, lower case; null if none
 */
public record Stage(int index, String name, Instruction from, List<Instruction> instructions) {
  public Stage {
    instructions = List.copyOf(instructions);
  }
}
