package dev.strata.cli;

import dev.strata.layout.GarbageCollector;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code strata gc [--dry-run] [--timeout SECONDS]}: frees what no image name, container or
 * mount reaches. Mounts do not hold it up; pulls, pushes and commits do, and it names them.
 */
@Command(name = "gc", mixinStandardHelpOptions = true,
    description = "Remove blobs, file objects and layer indexes that no image name, container or mount reaches.")
final class GcCommand implements Callable<Integer> {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;

  @Option(names = {"-n", "--dry-run"}, description = "Only say what would be removed.")
  boolean dryRun;

  @Option(names = {"-v", "--verbose"}, description = "Name every piece removed.")
  boolean verbose;

  @Option(names = "--timeout", paramLabel = "SECONDS",
      description = "Give up if the store is still busy (a pull, push or commit) after this long (default: wait).")
  Integer timeout;

  @Override
  public Integer call() throws Exception {
    if (timeout != null && timeout < 0) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--timeout must be 0 or more seconds");
    }
    GarbageCollector.Report report = GarbageCollector.run(root.openStore(), dryRun,
        timeout == null ? null : java.time.Duration.ofSeconds(timeout));
    PrintWriter out = spec.commandLine().getOut();
    for (String mount : report.keptForMounts()) {
      out.println("kept what a mount uses: " + mount);
    }
    for (String left : report.notRemoved()) {
      spec.commandLine().getErr().println("strata: gc: could not remove " + left);
    }
    if (verbose || dryRun) {
      report.removed().forEach(r -> out.println((dryRun ? "would remove " : "removed ") + r));
    }
    out.printf("%s %d item%s, %s%n", dryRun ? "would free" : "freed", report.removed().size(),
        report.removed().size() == 1 ? "" : "s", Sizes.human(report.bytes()));
    return 0;
  }
}
