package dev.strata.cli;

import dev.strata.fuse.MountRegistry;
import dev.strata.fuse.Mounts;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code strata umount MOUNTPOINT}: unmounts, then waits for the server to finish, so that the
 * container's upper is complete when this returns. Also clears a mount whose server died.
 */
@Command(name = "umount", aliases = "unmount", mixinStandardHelpOptions = true,
    description = "Unmount a strata mount and end its server (also clears a dead mount).")
final class UmountCommand implements Callable<Integer> {
  private static final long SERVER_EXIT_SECONDS = 30;

  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MOUNTPOINT") Path mountPoint;

  @Option(names = {"-l", "--lazy"}, description = "Detach a busy mount now; it goes once no longer used.")
  boolean lazy;

  @Override
  public Integer call() throws Exception {
    Path mp = mountPoint.toAbsolutePath().normalize();
    if (!Mounts.isFuseMounted(mp)) {
      throw new IllegalArgumentException(mp + " is not a FUSE mount point");
    }
    Optional<ProcessHandle> server = MountRegistry.server(mp);
    Mounts.unmount(mp, lazy);
    if (server.isPresent()) {
      ProcessHandle p = server.get();
      try {
        p.onExit().get(SERVER_EXIT_SECONDS, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        spec.commandLine().getErr().printf("strata: the server (pid %d) did not end within %d s; stopping it%n",
            p.pid(), SERVER_EXIT_SECONDS);
        p.destroy();
        p.onExit().get(10, TimeUnit.SECONDS);
      }
    }
    spec.commandLine().getOut().printf("unmounted %s%n", mp);
    return 0;
  }
}
