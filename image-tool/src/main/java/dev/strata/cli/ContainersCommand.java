package dev.strata.cli;

import dev.strata.layout.Containers;
import dev.strata.layout.Store;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code strata containers}: the containers of the store, which image each was made from. */
@Command(name = "containers", aliases = "ps", mixinStandardHelpOptions = true,
    description = "List the containers (their writes, kept until strata rm).")
final class ContainersCommand implements Callable<Integer> {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Store store = root.openStore();
    PrintWriter out = spec.commandLine().getOut();
    out.printf("%-24s %-24s %-19s %s%n", "CONTAINER", "IMAGE", "MANIFEST", "CREATED");
    for (Containers.Container c : new Containers(store).list()) {
      out.printf("%-24s %-24s %-19s %s%n", c.name(), c.image(), c.manifest().digest().shortHex(), c.created());
    }
    return 0;
  }
}
