package dev.strata.cli;

import picocli.CommandLine;

/** Entry point of {@code strata}: exit 0 done, 1 failed, 2 bad usage. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    int exit = run(RawArguments.of(args));
    if (Boolean.getBoolean("strata.cds.preload")) {
      ClassPreload.run();
    }
    System.exit(exit);
  }

  /** Runs the command line without exiting, for tests. */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** Returns the configured command line. */
  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new StrataCommand());
    cl.setOut(Output.writer(System.out));
    cl.setErr(Output.writer(System.err));
    cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof CommandLine.ParameterException p) {
        return commandLine.getParameterExceptionHandler().handleParseException(p, parseResult.originalArgs().toArray(new String[0]));
      }
      commandLine.getErr().println("strata: error: " + Errors.describe(e));
      if (System.getenv("STRATA_DEBUG") != null) {
        e.printStackTrace(commandLine.getErr());
      }
      return e instanceof IllegalArgumentException ? 2 : 1;
    });
    return cl;
  }
}
