package dev.strata.cli;

import dev.strata.fuse.FuseMount;
import dev.strata.image.ImageConfig;
import dev.strata.layout.Containers;
import dev.strata.layout.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code strata run NAME -- CMD...}: mounts the image (in this process), runs CMD in
 * bubblewrap with the mount as {@code /} (its own /proc, a /dev, a tmpfs /tmp, new pid, ipc
 * and uts namespaces), passes stdin, stdout and the exit code through, and unmounts.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run a command in a container of an image (bubblewrap on a strata mount).")
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

  @Option(names = "--network", paramLabel = "MODE", description = "host (default) or none.")
  String network = "host";

  @Override
  public Integer call() throws Exception {
    if (!network.equals("host") && !network.equals("none")) {
      throw new IllegalArgumentException("--network must be host or none");
    }
    Store store = root.openStore();
    String container = readOnly ? null
        : Containers.checkName(name != null ? name : "run-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()));
    Path mp = Files.createTempDirectory(store.tmp(), "run-");
    int code;
    try (ContainerMount m = ContainerMount.open(store, image, container, readOnly, spec.commandLine().getErr())) {
      List<String> argv = bwrap(mp, m.image.config(), container != null ? container : "strata");
      FuseMount mount = FuseMount.start(m.fs, mp, m.mountOptions(readOnly));
      try {
        Process p = new ProcessBuilder(argv).inheritIO().start();
        code = p.waitFor();
      } finally {
        mount.close();
      }
      if (remove && m.container != null) {
        new Containers(store).remove(m.container);
      }
    } finally {
      Files.deleteIfExists(mp);
    }
    return code;
  }

  private List<String> bwrap(Path mp, ImageConfig config, String hostname) {
    List<String> cmd = new ArrayList<>(config.entrypoint());
    cmd.addAll(command.isEmpty() ? config.cmd() : command);
    if (cmd.isEmpty()) {
      throw new IllegalArgumentException("no command given and the image names none");
    }
    // bubblewrap remounts every bind nosuid and sets no_new_privs, so inside this sandbox a
    // setuid program of the image runs without its owner's rights whatever the mount allows.
    List<String> argv = new ArrayList<>(List.of("bwrap", "--bind", mp.toString(), "/", "--proc", "/proc",
        "--dev", "/dev", "--tmpfs", "/tmp", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--hostname", hostname,
        "--die-with-parent", "--clearenv"));
    if (network.equals("none")) {
      argv.add("--unshare-net");
    }
    boolean path = false;
    for (String e : config.env()) {
      int eq = e.indexOf('=');
      if (eq > 0) {
        argv.addAll(List.of("--setenv", e.substring(0, eq), e.substring(eq + 1)));
        path |= e.startsWith("PATH=");
      }
    }
    if (!path) {
      argv.addAll(List.of("--setenv", "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
    }
    String cwd = config.workingDir() == null || config.workingDir().isEmpty() ? "/" : config.workingDir();
    argv.addAll(List.of("--chdir", cwd, "--"));
    argv.addAll(cmd);
    return argv;
  }
}
