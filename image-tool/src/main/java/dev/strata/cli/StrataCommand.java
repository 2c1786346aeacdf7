package dev.strata.cli;

import dev.strata.layout.Store;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The top-level {@code strata} command; it only holds the options every command shares. */
@Command(
    name = "strata",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = "A copy-on-write union filesystem and OCI image layer store.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:done", "1:failed", "2:bad usage"})
final class StrataCommand implements Runnable {
  /**
   * The commands, in the order the help lists them. A command line is built with only the one
   * being run ({@link Main#commandLine(String...)}): picocli reads every command's annotations
   * when it is added, a tenth of a second for all of them, which every run would pay.
   */
  static final Map<String, Supplier<Object>> COMMANDS = commands();

  /** The other names of commands (their {@code aliases}), to the command's name. */
  static final Map<String, String> ALIASES = Map.of("ps", "containers", "unmount", "umount");

  private static Map<String, Supplier<Object>> commands() {
    Map<String, Supplier<Object>> m = new LinkedHashMap<>();
    m.put("pull", PullCommand::new);
    m.put("push", PushCommand::new);
    m.put("images", ImagesCommand::new);
    m.put("inspect", InspectCommand::new);
    m.put("tag", TagCommand::new);
    m.put("rmi", RmiCommand::new);
    m.put("gc", GcCommand::new);
    m.put("fsck", FsckCommand::new);
    m.put("mount", MountCommand::new);
    m.put("umount", UmountCommand::new);
    m.put("run", RunCommand::new);
    m.put("commit", CommitCommand::new);
    m.put("build", BuildCommand::new);
    m.put("containers", ContainersCommand::new);
    m.put("rm", RmCommand::new);
    m.put("volume", VolumeCommand::new);
    m.put("layers", LayersCommand::new);
    m.put("tree", TreeCommand::new);
    m.put("diff", DiffCommand::new);
    m.put("history", HistoryCommand::new);
    m.put("df", DfCommand::new);
    return Collections.unmodifiableMap(m);
  }

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
