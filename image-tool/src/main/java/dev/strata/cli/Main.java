package dev.strata.cli;

import picocli.CommandLine;

/** Entry point of {@code strata}: exit 0 done, 1 failed, 2 bad usage. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    Thread warm = new Thread(Main::warmUp, "strata-warm-up");
    warm.setDaemon(true);
    warm.start();
    int exit = run(RawArguments.of(args));
    if (Boolean.getBoolean("strata.cds.preload")) {
      ClassPreload.run();
    }
    System.exit(exit);
  }

  /**
   * Readies, on a second core while picocli reads the command line, what nearly every command
   * needs next and takes a tenth of a second or more to make the first time: the host calls'
   * bindings (jnr-ffi generates their classes) and the JSON readers of an image's documents.
   * A class being initialized here makes the main thread wait for it, never do it twice.
   */
  private static void warmUp() {
    try {
      dev.strata.host.Capabilities.ofProcess();
      dev.strata.image.json.ImageJson.parseIndex(
          "{\"schemaVersion\":2,\"manifests\":[]}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (Throwable ignored) {
      // the command itself will meet and report whatever failed here
    }
  }

  /** Runs the command line without exiting, for tests. */
  public static int run(String... args) {
    return commandLine(args).execute(args);
  }

  /** Returns the configured command line with every command (for help, and tests). */
  static CommandLine commandLine() {
    return commandLine(new String[0]);
  }

  /**
   * Returns the configured command line for {@code args}: with only the command they name, or
   * with every command when they name none (help, usage errors list them all).
   */
  static CommandLine commandLine(String... args) {
    CommandLine cl = new CommandLine(new StrataCommand());
    String named = commandName(args);
    StrataCommand.COMMANDS.forEach((name, command) -> {
      if (named == null || named.equals(name)) {
        cl.addSubcommand(name, command.get());
      }
    });
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

  /** Returns the command {@code args} run: the first word that is no option nor --store's value. */
  private static String commandName(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--store")) {
        i++;
      } else if (!args[i].startsWith("-")) {
        String name = StrataCommand.ALIASES.getOrDefault(args[i], args[i]);
        return StrataCommand.COMMANDS.containsKey(name) ? name : null;
      }
    }
    return null;
  }
}
