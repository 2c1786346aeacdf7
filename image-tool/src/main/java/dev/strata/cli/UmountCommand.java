package dev.strata.cli;

import dev.strata.fuse.MountRegistry;
import dev.strata.fuse.MountServer;
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
      awaitRelease(server.get(), mp);
    }
    spec.commandLine().getOut().printf("unmounted %s%n", mp);
    return 0;
  }

  /**
   * Waits until the server has let go of the mount: its union closed, every write done, the
   * mount forgotten (or the server ended). A server of this mount alone that does not is
   * stopped; a shared one (bin/strata-overlay's, serving other mounts too) is left alone.
   */
  private void awaitRelease(ProcessHandle p, Path mp) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SERVER_EXIT_SECONDS);
    while (p.isAlive() && MountRegistry.server(mp).map(s -> s.pid() == p.pid()).orElse(false)) {
      if (System.nanoTime() > deadline) {
        if (!MountRegistry.servedBy(p.pid()).stream().allMatch(mp::equals)) {
          spec.commandLine().getErr().printf("strata: the server (pid %d) has not let go of %s within %d s%n",
              p.pid(), mp, SERVER_EXIT_SECONDS);
          return;
        }
        spec.commandLine().getErr().printf("strata: the server (pid %d) did not end within %d s; stopping it%n",
            p.pid(), SERVER_EXIT_SECONDS);
        p.destroy();
        p.onExit().get(10, TimeUnit.SECONDS);
        return;
      }
      Thread.sleep(10);
    }
    // A server of this mount alone ends just after forgetting it: return once it has.
    boolean shared = p.info().arguments().map(a -> java.util.List.of(a).contains(MountServer.class.getName()))
        .orElse(true);
    if (!shared) {
      p.onExit().get(10, TimeUnit.SECONDS);
    }
  }
}
