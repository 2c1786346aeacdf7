package dev.strata.cli;

import dev.strata.layout.Store;
import dev.strata.build.BuildOptions;
import dev.strata.build.UnionCommit;
import dev.strata.transfer.Images;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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

  @Option(names = "--timestamp", paramLabel = "SECONDS",
      description = "The time of the new image and its history entry (default: SOURCE_DATE_EPOCH, else now, as podman "
          + "commit).")
  Long timestamp;

  @Override
  public Integer call() throws Exception {
    Store.checkTag(newName);
    Store store = root.openStore();
    try (ContainerMount m = ContainerMount.open(store, null, container, true, spec.commandLine().getErr())) {
      UnionCommit.Result r = UnionCommit.commit(store, m.fs, Images.of(store, m.image), newName,
          "strata commit " + container, options());
      spec.commandLine().getOut().printf("committed %s as %s: %s (layer %s, %s)%n", container, newName,
          r.manifest().digest(), r.layer().descriptor().digest(), Sizes.human(r.layer().descriptor().size()));
    }
    return 0;
  }

  /** The library's options (gzip, OCI), at the time asked for, else SOURCE_DATE_EPOCH's, else now. */
  private BuildOptions options() {
    BuildOptions o = BuildOptions.defaults();
    if (timestamp != null) {
      return o.withTimestamp(java.time.Instant.ofEpochSecond(timestamp));
    }
    return System.getenv("SOURCE_DATE_EPOCH") != null ? o : o.withCurrentTime();
  }
}
