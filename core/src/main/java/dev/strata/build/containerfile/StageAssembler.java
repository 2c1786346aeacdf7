package dev.strata.build.containerfile;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Groups a file's instructions into the ARGs before the first FROM and the stages, refusing any
 * other instruction before FROM, a file with no FROM and two stages of one name.
 */
final class StageAssembler {
  private final String fileName;
  private final List<Instruction> globalArgs = new ArrayList<>();
  private final List<Stage> stages = new ArrayList<>();
  private final Map<String, Integer> nameLines = new HashMap<>();
  private Instruction from;
  private List<Instruction> current;

  StageAssembler(String fileName) {
    this.fileName = fileName;
  }

  void add(Instruction instruction) {
    if (instruction.keyword().equals("FROM")) {
      close();
      String name = Arguments.stageName(instruction.args());
      Integer before = name == null ? null : nameLines.putIfAbsent(name, instruction.line());
      if (before != null) {
        throw new ContainerfileException(fileName, instruction.line(),
            "the stage name '" + name + "' is already taken by the stage at line " + before);
      }
      from = instruction;
      current = new ArrayList<>();
    } else if (from != null) {
      current.add(instruction);
    } else if (instruction.keyword().equals("ARG")) {
      globalArgs.add(instruction);
    } else {
      throw new ContainerfileException(fileName, instruction.line(),
          instruction.keyword() + " before the first FROM: only ARG may come before it");
    }
  }

  Containerfile finish(char escape) {
    close();
    if (stages.isEmpty()) {
      throw new ContainerfileException(fileName, 0, "no FROM instruction: there is no stage to build");
    }
    return new Containerfile(globalArgs, stages, escape);
  }

  private void close() {
    if (from != null) {
      stages.add(new Stage(stages.size(), Arguments.stageName(from.args()), from, current));
      from = null;
    }
  }
}
