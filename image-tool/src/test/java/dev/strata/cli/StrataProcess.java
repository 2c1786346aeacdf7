package dev.strata.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts strata as a separate JVM, as a user's shell would: for what only processes can show
 * (locks between processes, a kill -9 in the middle of a write).
 */
final class StrataProcess {
  private StrataProcess() {}

  static Process start(Path store, Path log, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    // Under surefire this is a jar whose manifest lists the whole test classpath.
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.add("--store");
    cmd.add(store.toString());
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }
}
