package dev.strata.cli;

import dev.strata.layout.Store;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The top-level {@code strata} command; it only holds the options every command shares. */
@Command(
    name = "strata",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = "A copy-on-write union filesystem and OCI image layer store.",
    subcommands = {
        PullCommand.class, PushCommand.class, ImagesCommand.class, InspectCommand.class,
        TagCommand.class, RmiCommand.class, GcCommand.class, FsckCommand.class,
        MountCommand.class, UmountCommand.class, RunCommand.class, CommitCommand.class, BuildCommand.class,
        ContainersCommand.class, RmCommand.class,
        LayersCommand.class, TreeCommand.class, DiffCommand.class, HistoryCommand.class, DfCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:done", "1:failed", "2:bad usage"})
final class StrataCommand implements Runnable {
  @Option(names = "--store", paramLabel = "DIR", scope = ScopeType.INHERIT,
      description = "The store (default: $STRATA_STORE, else /var/lib/strata as root, else ~/.local/share/strata).")
  Path store;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name a command (see strata --help)");
  }

  /** Opens the store the options name. */
  Store openStore() throws IOException {
    return Store.open(storePath());
  }

  Path storePath() {
    if (store != null) {
      return store;
    }
    String env = System.getenv("STRATA_STORE");
    if (env != null && !env.isEmpty()) {
      return Path.of(env);
    }
    // The host's root, not a name: root of a user namespace (podman unshare) keeps its store
    // in its user's home, as rootless podman does.
    if (dev.strata.host.Capabilities.ofProcess().hostRoot()) {
      return Path.of("/var/lib/strata");
    }
    return Path.of(System.getProperty("user.home"), ".local", "share", "strata");
  }
}
