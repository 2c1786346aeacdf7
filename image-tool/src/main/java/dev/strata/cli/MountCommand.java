package dev.strata.cli;

import dev.strata.fuse.Detached;
import dev.strata.layout.Containers;
import dev.strata.layout.Store;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code strata mount NAME MOUNTPOINT}: the image as a writable root filesystem, its layers
 * read in place from the store, the writes going into a container's upper under
 * {@code containers/C/}. Returns once the mount is live; a detached server serves it until
 * {@code strata umount}.
 */
@Command(name = "mount", mixinStandardHelpOptions = true,
    description = "Mount an image (layers read in place, writes kept in a container) and return once it is live.")
final class MountCommand implements Callable<Integer> {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME", description = "The image.") String image;
  @Parameters(index = "1", paramLabel = "MOUNTPOINT") Path mountPoint;

  @Option(names = "--name", paramLabel = "C",
      description = "The container that keeps the writes (default: from the image name); reused if it exists.")
  String name;

  @Option(names = "--read-only", description = "Mount without a container: every write fails with EROFS.")
  boolean readOnly;

  @Option(names = {"-f", "--foreground"}, description = "Serve in this process until unmounted.")
  boolean foreground;

  @Override
  public Integer call() throws Exception {
    Store store = root.openStore();
    String container = readOnly ? null : Containers.checkName(name != null ? name : Containers.nameFor(image));
    Path mp = mountPoint.toAbsolutePath().normalize();
    if (foreground) {
      try (ContainerMount m = ContainerMount.open(store, image, container, readOnly, spec.commandLine().getErr())) {
        m.serve(mp, readOnly);
      }
      return 0;
    }
    // Open once here for the checks the server would make, so that a mistake gets a plain
    // message rather than a line in the server's log; the server takes the container itself.
    Path log;
    try (ContainerMount m = ContainerMount.open(store, image, container, readOnly, spec.commandLine().getErr())) {
      log = container != null ? m.container.dir().resolve("mount.log") : store.logs().resolve("mount-ro.log");
    }
    List<String> args = new ArrayList<>(List.of("--store", store.root().toString(), "mount", image, mp.toString(),
        "--foreground"));
    if (readOnly) {
      args.add("--read-only");
    } else {
      args.addAll(List.of("--name", container));
    }
    Detached.start(Main.class.getName(), args, log, mp);
    spec.commandLine().getOut().printf("mounted %s at %s%s%n", image, mp,
        container != null ? " (container " + container + ")" : " (read-only)");
    return 0;
  }
}
