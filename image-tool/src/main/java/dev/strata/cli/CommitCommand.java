package dev.strata.cli;

import dev.strata.layout.Store;
import dev.strata.transfer.Committer;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code strata commit C NEWNAME}: a new image, C's image plus one layer holding what C wrote.
 * The container must not be mounted (its upper would change under the commit).
 */
@Command(name = "commit", mixinStandardHelpOptions = true,
    description = "Make a new image: the container's image plus one layer of its changes.")
final class CommitCommand implements Callable<Integer> {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "C", description = "The container.") String container;
  @Parameters(index = "1", paramLabel = "NEWNAME") String newName;

  @Override
  public Integer call() throws Exception {
    Store.checkTag(newName);
    Store store = root.openStore();
    try (ContainerMount m = ContainerMount.open(store, null, container, true, spec.commandLine().getErr())) {
      Committer.Result r = new Committer(store, e -> { }).commit(m.fs, m.image, newName,
          "strata commit " + container);
      spec.commandLine().getOut().printf("committed %s as %s: %s (layer %s, %s)%n", container, newName,
          r.manifest().digest(), r.layer().digest(), Sizes.human(r.layer().size()));
    }
    return 0;
  }
}
