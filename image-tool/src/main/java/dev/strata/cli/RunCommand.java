package dev.strata.cli;

import dev.strata.cli.sandbox.Capabilities;
import dev.strata.union.ImageUser;
import dev.strata.cli.sandbox.OwnUserNamespace;
import dev.strata.cli.sandbox.RunDirectory;
import dev.strata.cli.sandbox.ContainerEnvironment;
import dev.strata.cli.sandbox.Sandbox;
import dev.strata.cli.sandbox.UserNamespace;
import dev.strata.fuse.FuseMount;
import dev.strata.image.ImageConfig;
import dev.strata.layout.Containers;
import dev.strata.layout.Store;
import dev.strata.volume.Volumes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code strata run NAME -- CMD...}: mounts the image (in this process) with the ids of the
 * container's user namespace, runs CMD in a sandbox as podman's defaults make one (see {@link
 * dev.strata.cli.sandbox}), passes stdin, stdout and the exit code through, and unmounts.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run a command in a container of an image: a user namespace, podman's default capabilities, "
        + "seccomp, no new privileges, masked kernel paths and no network unless asked (runc on a strata mount).")
final class RunCommand implements Callable<Integer> {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME", description = "The image.") String image;
  @Parameters(index = "1..*", paramLabel = "CMD", description = "The command (default: the image's entrypoint and cmd).")
  List<String> command = new ArrayList<>();

  @Option(names = "--name", paramLabel = "C", description = "The container that keeps the writes (default: a new one).")
  String name;

  @Option(names = "--rm", description = "Delete the container when the command ends.")
  boolean remove;

  @Option(names = "--read-only", description = "No container: every write fails with EROFS.")
  boolean readOnly;

  @Option(names = {"-v", "--volume"}, paramLabel = "SRC:DEST[:ro|:rw]",
      description = "Mount volume SRC (made if missing; a new one filled with the image's files at DEST) or, SRC "
          + "starting with /, the host's directory SRC at DEST; -v DEST: a new anonymous volume. Repeatable.")
  List<String> volumeSpecs = new ArrayList<>();

  @Option(names = "--volumes-from", paramLabel = "C[:ro|:rw]",
      description = "Mount the volumes and host directories of container C's latest run where it had them (:ro: all "
          + "read-only). Repeatable.")
  List<String> volumesFrom = new ArrayList<>();

  @Option(names = "--network", paramLabel = "MODE",
      description = "none (default: a network namespace holding only lo) or host (the host's interfaces).")
  String network = "none";

  @Option(names = {"-u", "--user"}, paramLabel = "USER[:GROUP]",
      description = "Who runs the command, names from the image's /etc/passwd and /etc/group (default: the image's User, "
          + "else root).")
  String user;

  @Option(names = "--cap-add", paramLabel = "CAP", split = ",",
      description = "Add a capability to podman's default set (NET_RAW or CAP_NET_RAW; ALL for every one).")
  List<String> capAdd = new ArrayList<>();

  @Option(names = "--cap-drop", paramLabel = "CAP", split = ",", description = "Drop a capability (ALL for every one).")
  List<String> capDrop = new ArrayList<>();

  @Option(names = "--privileged", description = "Every capability, no masked or read-only kernel paths, new privileges "
      + "allowed and, as root, no user namespace (the host's ids).")
  boolean privileged;

  @Option(names = "--security-opt", paramLabel = "OPT",
      description = "no-new-privileges[=true|false]: whether setuid programs and file capabilities give nothing (default "
          + "true, false with --privileged); seccomp=unconfined|PROFILE: the seccomp filter (default containers-common's "
          + "/usr/share/containers/seccomp.json, as podman's; none with --privileged).")
  List<String> securityOpts = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (!network.equals("host") && !network.equals("none")) {
      throw new IllegalArgumentException("--network " + network + ": expected none or host");
    }
    if (OwnUserNamespace.wanted()) {
      return OwnUserNamespace.rerun(UserNamespace.forThisProcess());
    }
    Security security = security();
    List<Containers.Mount> specs = new ArrayList<>();
    for (String v : volumeSpecs) {
      specs.add(RunVolumes.parse(v));
    }
    SortedSet<String> bounding = Capabilities.bounding();
    SortedSet<String> caps = Capabilities.merge(privileged ? bounding : Capabilities.PODMAN_DEFAULT, capAdd, capDrop,
        bounding);
    SortedSet<String> userCaps = Capabilities.merge(new TreeSet<>(), capAdd, List.of(), caps);
    Store store = root.openStore();
    List<Containers.Mount> from = RunVolumes.from(store, volumesFrom);
    List<Containers.Mount> asked = new ArrayList<>(specs);
    asked.addAll(from);
    String container = readOnly ? null
        : Containers.checkName(name != null ? name : "run-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()));
    // The host's root, by what this process may do: root of a user namespace is named root too.
    boolean asRoot = dev.strata.host.Capabilities.ofProcess().hostRoot();
    int code;
    List<String> anonymous = List.of();
    try (UserNamespace ids = privileged && asRoot ? UserNamespace.host()
            : RunVolumes.ids(store, image, asked);
        RunDirectory run = RunDirectory.create(ids);
        ContainerMount m = ContainerMount.open(store, image, container, readOnly, spec.commandLine().getErr(),
            ids.uids(), ids.gids())) {
      ImageConfig config = m.image.config();
      ImageUser who = ImageUser.resolve(m.fs, user != null ? user : config.user());
      String hostname = container != null ? container : "strata";
      RunVolumes.Plan volumes = RunVolumes.plan(store, specs, from, m.image,
          m.container == null ? List.of() : new Containers(store).mounts(m.container));
      anonymous = volumes.anonymous();
      record(store, m.container, volumes.mounts());
      Sandbox sandbox = new Sandbox(argv(config), ContainerEnvironment.of(config.env(), who, hostname), workingDir(config), hostname, who, caps,
          userCaps, security.noNewPrivileges(), security.seccomp(), privileged, network.equals("host"), readOnly, ids, true,
          RunVolumes.binds(store, volumes.mounts()));
      FuseMount mount = FuseMount.start(m.fs, Files.createDirectory(run.rootfs()), m.mountOptions(readOnly));
      try {
        // Through this run's mount: the owners the container's namespace shows are the host's.
        RunVolumes.initialize(store, volumes.mounts(), m.fs, run.rootfs(), who, ids.uids(), ids.gids());
        code = sandbox.run(run.rootfs(), run.path());
      } finally {
        mount.close();
      }
      if (remove && m.container != null) {
        new Containers(store).remove(m.container);
        new Volumes(store).releaseAll(m.container.name());
      }
    } finally {
      if (remove || readOnly) {
        removeAnonymous(store, anonymous);
      }
    }
    return code;
  }

  /**
   * Records the container as a user of its volumes and its mounts for {@code --volumes-from}. A
   * read-only run has no container to record: nothing keeps its volumes from removal meanwhile.
   */
  private static void record(Store store, Containers.Container c, List<Containers.Mount> mounts) throws IOException {
    if (c == null) {
      return;
    }
    Volumes volumes = new Volumes(store);
    for (Containers.Mount mount : mounts) {
      if (mount.type().equals(Containers.Mount.VOLUME)) {
        volumes.use(mount.source(), c.name());
      }
    }
    new Containers(store).writeMounts(c, mounts);
  }

  /**
   * Removes the anonymous volumes of a run that leaves no container (--rm, --read-only), as
   * {@code docker run --rm} does; one that another container came to use (--volumes-from) stays.
   */
  private void removeAnonymous(Store store, List<String> anonymous) throws IOException {
    for (String v : anonymous) {
      try {
        new Volumes(store).remove(v, false);
      } catch (IllegalStateException inUse) {
        spec.commandLine().getErr().println("kept volume " + v + ": " + inUse.getMessage());
      }
    }
  }

  /** What --security-opt asks for: no_new_privs, and the seccomp profile (null: none). */
  private record Security(boolean noNewPrivileges, Path seccomp) {}

  private Security security() {
    boolean nnp = !privileged;
    Path seccomp = privileged ? null : Sandbox.PODMAN_SECCOMP;
    for (String o : securityOpts) {
      String v = o.toLowerCase(Locale.ROOT);
      if (v.equals("no-new-privileges") || v.equals("no-new-privileges=true")) {
        nnp = true;
      } else if (v.equals("no-new-privileges=false")) {
        nnp = false;
      } else if (v.equals("seccomp=unconfined")) {
        seccomp = null;
      } else if (v.startsWith("seccomp=") && o.length() > "seccomp=".length()) {
        seccomp = Path.of(o.substring("seccomp=".length()));
      } else {
        throw new IllegalArgumentException("--security-opt " + o
            + ": strata run knows no-new-privileges[=true|false] and seccomp=unconfined|PROFILE");
      }
    }
    return new Security(nnp, seccomp);
  }

  private List<String> argv(ImageConfig config) {
    List<String> cmd = new ArrayList<>(config.entrypoint());
    cmd.addAll(command.isEmpty() ? config.cmd() : command);
    if (cmd.isEmpty()) {
      throw new IllegalArgumentException("no command given and the image names none");
    }
    return cmd;
  }

  private static String workingDir(ImageConfig config) {
    return config.workingDir() == null || config.workingDir().isEmpty() ? "/" : config.workingDir();
  }
}
