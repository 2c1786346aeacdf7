package dev.strata.fuse;

import dev.strata.union.UnionFs;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A mount that a server process serves until it is unmounted: mounted, registered as this
 * process's ({@link MountRegistry}), unmounted by SIGTERM and SIGINT before the process ends
 * (a stopped server leaves no dead mount behind), its union's memory given back when idle
 * ({@link IdleTrim}). A process serves one ({@link FuseMount#serve}) or, as the shared
 * {@link MountServer}, many.
 */
final class ServedMount {
  private final FuseMount mount;
  private final UnionFs fs;
  private final Thread hook;
  private final AutoCloseable trim;

  private ServedMount(FuseMount mount, UnionFs fs, Thread hook, AutoCloseable trim) {
    this.mount = mount;
    this.fs = fs;
    this.hook = hook;
    this.trim = trim;
  }

  /** Mounts {@code fs} and registers the mount; returns with the mount answering. */
  static ServedMount start(UnionFs fs, Path mountPoint, MountOptions options) throws IOException {
    FuseMount m = FuseMount.start(fs, mountPoint, options);
    try {
      MountRegistry.register(m.mountPoint());
    } catch (IOException | RuntimeException e) {
      m.close();
      MountRegistry.unregister(m.mountPoint());
      throw e;
    }
    m.startWarmUp();
    Thread hook = new Thread(() -> {
      try {
        m.close();
      } catch (IOException e) {
        System.err.println("strata: " + e.getMessage());
      }
    }, "strata-unmount-on-exit");
    Runtime.getRuntime().addShutdownHook(hook);
    return new ServedMount(m, fs, hook, IdleTrim.watch(fs::releasePages));
  }

  Path mountPoint() {
    return mount.mountPoint();
  }

  /**
   * Waits until the mount is gone, then closes the union and only then forgets the mount:
   * {@code strata umount} waits for the entry to go, so that it returns with every write done.
   */
  void awaitUnmount() throws IOException, InterruptedException {
    mount.awaitUnmount();
    try {
      trim.close();
    } catch (Exception e) {
      throw new IllegalStateException(e); // removing from a set does not fail
    }
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      return; // shutting down: the hook closes
    }
    try {
      mount.close();
    } finally {
      MountRegistry.unregister(mount.mountPoint());
    }
  }
}
