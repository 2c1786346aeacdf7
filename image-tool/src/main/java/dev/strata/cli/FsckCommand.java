package dev.strata.cli;

import dev.strata.layout.Fsck;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code strata fsck [--repair]}: re-hashes everything; exits 1 naming every bad piece. */
@Command(name = "fsck", mixinStandardHelpOptions = true,
    description = {"Re-hash every blob and file object and check every layer index and image.",
        "Exits 1 and names each bad piece; --repair removes them so that a later pull fetches them again."})
final class FsckCommand implements Callable<Integer> {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;

  @Option(names = "--repair", description = "Remove bad blobs, objects and indexes.")
  boolean repair;

  @Override
  public Integer call() throws Exception {
    Fsck.Report report = Fsck.run(root.openStore(), repair);
    PrintWriter out = spec.commandLine().getOut();
    for (Fsck.Problem p : report.problems()) {
      out.printf("BAD %s: %s%s%n", p.what(), p.detail(), p.repaired() ? " (removed)" : "");
    }
    out.printf("checked %d blobs, %d objects, %d layer indexes, %d images: %s%n", report.blobs(), report.objects(),
        report.layers(), report.tags(), report.clean() ? "all good" : report.problems().size() + " problem"
            + (report.problems().size() == 1 ? "" : "s"));
    return report.clean() ? 0 : 1;
  }
}
