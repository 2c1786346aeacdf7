package dev.strata.fuse;

import dev.strata.union.UnionFs;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A union served through libfuse 2's path API (jnr-fuse): the fallback transport where
 * /dev/fuse cannot be mounted (no CAP_SYS_ADMIN and no set-user-id fusermount3), or where
 * {@code STRATA_FUSE_TRANSPORT=libfuse} asks for it; libfuse's fusermount mounts. libfuse's loop runs on its own thread until the mount
 * goes away (an unmount from anywhere, or {@link #close}); {@link #start} returns once the
 * kernel lists the mount, because libfuse itself says nothing when it is ready.
 */
final class LibfuseMount implements FuseMount {
  private static final System.Logger LOG = System.getLogger(LibfuseMount.class.getName());
  private static final long READY_TIMEOUT_MS = 60_000;

  private final UnionFs fs;
  private final Path mountPoint;
  private final CountDownLatch ended = new CountDownLatch(1);
  private volatile Throwable failure;

  private LibfuseMount(UnionFs fs, Path mountPoint) {
    this.fs = fs;
    this.mountPoint = mountPoint;
  }

  /** Mounts {@code fs} at {@code mp} (checked by {@link FuseMount#start}); returns once live. */
  static LibfuseMount start(UnionFs fs, Path mp, MountOptions options) throws IOException {
    LibfuseMount m = new LibfuseMount(fs, mp);
    UnionFuseFs adapter = new UnionFuseFs(fs);
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

  @Override
  public Path mountPoint() {
    return mountPoint;
  }

  @Override
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
