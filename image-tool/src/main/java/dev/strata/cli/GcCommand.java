package dev.strata.cli;

import dev.strata.layout.GarbageCollector;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code strata gc [--dry-run]}: frees what no image name reaches. */
@Command(name = "gc", mixinStandardHelpOptions = true,
    description = "Remove blobs, file objects and layer indexes that no image name reaches.")
final class GcCommand implements Callable<Integer> {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;

  @Option(names = {"-n", "--dry-run"}, description = "Only say what would be removed.")
  boolean dryRun;

  @Option(names = {"-v", "--verbose"}, description = "Name every piece removed.")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    GarbageCollector.Report report = GarbageCollector.run(root.openStore(), dryRun);
    PrintWriter out = spec.commandLine().getOut();
    if (verbose || dryRun) {
      report.removed().forEach(r -> out.println((dryRun ? "would remove " : "removed ") + r));
    }
    out.printf("%s %d item%s, %s%n", dryRun ? "would free" : "freed", report.removed().size(),
        report.removed().size() == 1 ? "" : "s", Sizes.human(report.bytes()));
    return 0;
  }
}
