package dev.strata.cli;

import dev.strata.layout.Containers;
import dev.strata.layout.Store;
import dev.strata.volume.Volumes;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code strata rm C...}: deletes containers and what they wrote; a mounted one is refused. */
@Command(name = "rm", mixinStandardHelpOptions = true, description = "Delete containers and their writes.")
final class RmCommand implements Callable<Integer> {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "C") List<String> names;

  @Override
  public Integer call() throws Exception {
    Store store = root.openStore();
    Containers containers = new Containers(store);
    for (String name : names) {
      Containers.Container c = containers.get(name)
          .orElseThrow(() -> new IllegalArgumentException("no container named '" + name + "'"));
      try (Containers.InUse held = containers.use(c)) {
        containers.remove(c);
      }
      // Its volumes stay, with one user fewer (docker rm keeps even the anonymous ones).
      new Volumes(store).releaseAll(name);
      spec.commandLine().getOut().printf("removed %s%n", name);
    }
    return 0;
  }
}
