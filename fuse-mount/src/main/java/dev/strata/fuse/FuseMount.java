package dev.strata.fuse;

import dev.strata.union.UnionFs;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A union served at a mount point. libfuse's loop runs on its own thread until the mount goes
 * away (an unmount from anywhere, or {@link #close}); {@link #start} returns once the kernel
 * lists the mount, because libfuse itself says nothing when it is ready.
 */
public final class FuseMount implements Closeable {
  private static final System.Logger LOG = System.getLogger(FuseMount.class.getName());
  private static final long READY_TIMEOUT_MS = 60_000;

  private final UnionFs fs;
  private final Path mountPoint;
  private final CountDownLatch ended = new CountDownLatch(1);
  private volatile Throwable failure;

  private FuseMount(UnionFs fs, Path mountPoint) {
    this.fs = fs;
    this.mountPoint = mountPoint;
  }

  /** Mounts {@code fs} at {@code mountPoint} and returns once the mount is live. */
  public static FuseMount start(UnionFs fs, Path mountPoint, MountOptions options) throws IOException {
    Path mp = mountPoint.toAbsolutePath().normalize();
    if (!Files.isDirectory(mp)) {
      throw new IOException("mount point " + mp + " is not a directory");
    }
    if (Mounts.isFuseMounted(mp)) {
      throw new IOException(mp + " is already a FUSE mount point (a dead one? strata umount " + mp + ")");
    }
    FuseMount m = new FuseMount(fs, mp);
    UnionFuseFs adapter = new UnionFuseFs(fs, false);
    Thread loop = new Thread(() -> {
      try {
        adapter.mount(mp, true, options.debug(), options.libfuseArgs());
      } catch (Throwable e) {
        m.failure = e;
      } finally {
        m.ended.countDown();
      }
    }, "strata-fuse-loop");
    loop.start();
    long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
    while (!Mounts.isFuseMounted(mp)) {
      try {
        if (m.ended.await(5, TimeUnit.MILLISECONDS)) {
          throw new IOException("libfuse could not mount " + mp
              + (m.failure != null ? ": " + m.failure.getMessage() : " (see its message above)"));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while mounting " + mp, e);
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IOException("the mount at " + mp + " did not appear within " + READY_TIMEOUT_MS / 1000 + " s");
      }
    }
    return m;
  }

  /**
   * Serves {@code fs} at {@code mountPoint} until it is unmounted: the body of a mount server.
   * SIGTERM and SIGINT unmount first, so a stopped server leaves no dead mount behind.
   */
  public static void serve(UnionFs fs, Path mountPoint, MountOptions options) throws IOException, InterruptedException {
    FuseMount m = start(fs, mountPoint, options);
    MountRegistry.register(m.mountPoint);
    Thread hook = new Thread(() -> {
      try {
        m.close();
      } catch (IOException e) {
        System.err.println("strata: " + e.getMessage());
      }
    }, "strata-unmount-on-exit");
    Runtime.getRuntime().addShutdownHook(hook);
    m.awaitUnmount();
    MountRegistry.unregister(m.mountPoint);
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      return; // shutting down: the hook closes
    }
    m.close();
  }

  public Path mountPoint() {
    return mountPoint;
  }

  /** Waits until the mount is gone (unmounted from anywhere) and libfuse's loop has ended. */
  public void awaitUnmount() throws InterruptedException {
    ended.await();
  }

  /** Unmounts (if still mounted), waits for libfuse's loop to end, closes the union. */
  @Override
  public void close() throws IOException {
    try {
      if (ended.getCount() > 0 && Mounts.isFuseMounted(mountPoint)) {
        Mounts.unmount(mountPoint, false);
      }
      if (!ended.await(30, TimeUnit.SECONDS)) {
        LOG.log(System.Logger.Level.WARNING, "libfuse's loop for " + mountPoint + " did not end");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      fs.close();
    }
  }
}
