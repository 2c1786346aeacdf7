package dev.strata.cli;

import dev.strata.layout.NoSuchImageException;
import dev.strata.layout.Store;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code strata rmi NAME...}: removes names; gc frees what no name needs any more. */
@Command(name = "rmi", mixinStandardHelpOptions = true,
    description = "Remove image names. Their layers stay until `strata gc` finds nothing uses them.")
final class RmiCommand implements Callable<Integer> {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "NAME") java.util.List<String> names;

  @Override
  public Integer call() throws Exception {
    Store store = root.openStore();
    for (String name : names) {
      var removed = store.untag(name);
      if (removed.isEmpty()) {
        throw new NoSuchImageException("no image named '" + name + "' in the store " + store.root());
      }
      spec.commandLine().getOut().printf("removed %s (%s)%n", name, removed.get().digest());
    }
    return 0;
  }
}
