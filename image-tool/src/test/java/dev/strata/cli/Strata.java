package dev.strata.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** Runs the strata command line in-process against a store, capturing what it prints. */
final class Strata {
  private Strata() {}

  /** What one run gave. */
  record Run(int exit, String out, String err) {
    Run assertOk() {
      if (exit != 0) {
        throw new AssertionError("strata exited " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err);
      }
      return this;
    }
  }

  static Run run(Path store, String... args) {
    List<String> all = new ArrayList<>();
    all.add("--store");
    all.add(store.toString());
    all.addAll(List.of(args));
    return runRaw(all.toArray(new String[0]));
  }

  static Run runRaw(String... args) {
    CommandLine cl = Main.commandLine(args);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }
}
