package dev.strata.fuse.kernel;

import dev.strata.host.Privileges;
import dev.strata.union.UnionFs;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A union served at a mount point over {@code /dev/fuse}: the mount, and the threads that read
 * requests from the device and answer them until the mount goes away.
 *
 * <p>Each thread reads from the same descriptor; the kernel hands each request to exactly one
 * reader, so no queue or hand-off sits between threads. The loop ends when read(2) answers
 * ENODEV, which the kernel does once the mount is gone (unmounted from anywhere) or the
 * connection aborted. Mounted with mount(2) where the process may, else by fusermount3 (see
 * {@link FuseDevice}); the same protocol and semantics either way.
 */
public final class KernelMount implements Closeable {
  private static final System.Logger LOG = System.getLogger(KernelMount.class.getName());
  /** Room for the largest request: headers, fuse_write_in and a 1 MiB write, and a page spare. */
  private static final int BUFFER = (1 << 20) + 8192;
  private static final long INIT_TIMEOUT_MS = 30_000;

  private final UnionFs fs;
  private final Path mountPoint;
  private final FuseDevice device;
  private final Dispatcher dispatcher;
  private final RequestStats stats = new RequestStats();
  private final CountDownLatch ended = new CountDownLatch(1);
  private final AtomicInteger running = new AtomicInteger();
  private final List<Thread> threads = new ArrayList<>();
  private volatile long connection = -1;
  private volatile Throwable failure;
  private volatile boolean closed;

  private static final java.util.concurrent.atomic.AtomicBoolean WARMED = new java.util.concurrent.atomic.AtomicBoolean();

  /** The warm-up started once the mount was live, or null. */
  private Thread warmup;
  private KernelMountOptions options;

  /**
   * Runs the warm-up on a thread of its own, for a server whose mount is live and known: the
   * paths of a container's first requests are compiled before it sends them, as an engine does
   * much else between mounting and its first write (docs/mounts.md, the copy-up). Started by
   * the server after it has registered its mount, so that its CPU does not delay that. Once per
   * process: a shared server's later mounts find the paths compiled by the first one's.
   */
  public synchronized void startWarmUp() {
    if (warmup == null && !closed && Boolean.parseBoolean(System.getProperty("strata.warmup", "true"))
        && WARMED.compareAndSet(false, true)) {
      KernelMountOptions o = options;
      warmup = new Thread(() -> Warmup.run(Privileges.ofProcess(), o), "strata-warmup");
      warmup.setDaemon(true);
      warmup.start();
    }
  }

  private KernelMount(UnionFs fs, Path mountPoint, FuseDevice device, Dispatcher dispatcher) {
    this.fs = fs;
    this.mountPoint = mountPoint;
    this.device = device;
    this.dispatcher = dispatcher;
  }

  /** The FUSE kernel protocol this transport speaks, "7.31": what {@code --version} names. */
  public static String protocolVersion() {
    return Protocol.KERNEL_MAJOR + "." + Protocol.KERNEL_MINOR;
  }

  /**
   * Answers the requests of a walk of a small scratch tree, as a fresh mount would, without
   * mounting anything: loads every class a server's first requests need (for the class-data
   * archive). Never fails; a problem only means less was loaded.
   */
  public static void warmUp(Privileges privileges) {
    Warmup.run(privileges, KernelMountOptions.defaults("strata-warmup"));
  }

  /**
   * Whether this process can mount over /dev/fuse: itself (CAP_SYS_ADMIN: the host's root, or
   * root of a user namespace that owns its mount namespace) or through a set-user-id root
   * fusermount3 on PATH or in /usr/bin, /bin, /usr/local/bin, /usr/sbin or /sbin.
   */
  public static boolean canMount() {
    return FuseDevice.mountsItself() || Fusermount.program().isPresent();
  }

  /**
   * Mounts {@code fs} at {@code mountPoint} and returns once the kernel and this server have
   * agreed on the protocol (INIT answered), so the mount answers at once.
   */
  public static KernelMount mount(UnionFs fs, Path mountPoint, KernelMountOptions options) throws IOException {
    Path mp = mountPoint.toAbsolutePath().normalize();
    if (!Files.isDirectory(mp)) {
      throw new IOException("mount point " + mp + " is not a directory");
    }
    FuseDevice device = FuseDevice.mount(mp, options);
    Dispatcher dispatcher;
    try {
      // Nothing reads the device yet: the kernel waits for INIT's answer, and an unmount now ends it.
      dispatcher = new Dispatcher(fs, options, new Passthrough(fs, device, options.passthrough()));
    } catch (IOException | RuntimeException e) {
      device.unmount(mp);
      device.close();
      throw e;
    }
    KernelMount m = new KernelMount(fs, mp, device, dispatcher);
    m.connection = connectionOf(mp);
    m.running.set(options.threads());
    for (int i = 0; i < options.threads(); i++) {
      Thread t = new Thread(m::serve, "strata-fuse-kernel-" + i);
      t.setDaemon(true);
      m.threads.add(t);
    }
    m.threads.forEach(Thread::start);
    try {
      boolean ready = false;
      long deadline = System.currentTimeMillis() + INIT_TIMEOUT_MS;
      while (!ready && System.currentTimeMillis() < deadline && m.ended.getCount() > 0) {
        ready = dispatcher.initialized().await(10, TimeUnit.MILLISECONDS);
      }
      if (!ready || m.ended.getCount() == 0 || dispatcher.initFailure() != null) {
        m.close();
        String why = dispatcher.initFailure() != null ? dispatcher.initFailure()
            : m.failure != null ? m.failure.toString() : "no INIT within " + INIT_TIMEOUT_MS / 1000 + " s";
        throw new IOException("FUSE INIT for " + mp + " failed: " + why);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      m.close();
      throw new IOException("interrupted while mounting " + mp, e);
    }
    m.options = options;
    return m;
  }

  /** One reading thread: read a request, answer it, until the connection ends. */
  private void serve() {
    try (NativeBuffer in = new NativeBuffer(BUFFER); NativeBuffer out = new NativeBuffer(BUFFER)) {
      Request rq = new Request(in);
      Reply rp = new Reply(out);
      while (!dispatcher.destroyed()) {
        int n = device.read(in.address, in.size);
        if (n < 0) {
          break;
        }
        try {
          rq.parse(n);
        } catch (IllegalArgumentException e) {
          LOG.log(System.Logger.Level.ERROR, e.getMessage());
          continue;
        }
        long start = RequestStats.now();
        int len = dispatcher.handle(rq, rp);
        long handled = stats.handled(rq.opcode, start);
        if (len > 0) {
          device.write(out.address, len);
        }
        stats.replied(rq.opcode, handled);
      }
    } catch (Throwable e) {
      failure = e;
      LOG.log(System.Logger.Level.ERROR, "FUSE reader for " + mountPoint + " stopped: " + e, e);
    } finally {
      if (running.decrementAndGet() == 0) {
        device.close();
        ended.countDown();
      }
    }
  }

  public Path mountPoint() {
    return mountPoint;
  }

  /**
   * Whether the kernel reads and writes this mount's files itself where one host file holds
   * them (FUSE passthrough: agreed at INIT, the kernel not having refused it since).
   */
  public boolean passthrough() {
    return dispatcher.passthrough().on();
  }

  /** The request handler, for tests. */
  Dispatcher dispatcher() {
    return dispatcher;
  }

  /** The requests served, for tests. */
  RequestStats stats() {
    return stats;
  }

  /** How many node ids the kernel holds (the root included); for tests and diagnostics. */
  public int kernelNodes() {
    return dispatcher.nodes().size();
  }

  /** Whether the serving threads have all ended. */
  public boolean ended() {
    return ended.getCount() == 0;
  }

  /** Waits until the mount is gone (unmounted from anywhere) and every serving thread ended. */
  public void awaitUnmount() throws InterruptedException {
    ended.await();
  }

  /** Like {@link #awaitUnmount()}, at most {@code timeout}; returns whether it ended. */
  public boolean awaitUnmount(long timeout, TimeUnit unit) throws InterruptedException {
    return ended.await(timeout, unit);
  }

  /**
   * Unmounts (if still mounted; lazily if busy), waits for the serving threads, closes the
   * union. A connection that does not end is aborted, so that close always returns.
   */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (ended.getCount() > 0) {
        device.unmount(mountPoint);
        if (!ended.await(30, TimeUnit.SECONDS)) {
          LOG.log(System.Logger.Level.WARNING, "FUSE connection of " + mountPoint + " did not end; aborting it");
          if (connection < 0 || !FuseDevice.abort(connection) || !ended.await(10, TimeUnit.SECONDS)) {
            LOG.log(System.Logger.Level.ERROR, "FUSE connection of " + mountPoint + " could not be ended");
          }
        }
      }
      Thread w;
      synchronized (this) {
        w = warmup;
      }
      if (w != null) {
        w.join(10_000); // it deletes its scratch tree when it ends
      }
      stats.write(mountPoint, passthrough(), dispatcher.passthrough().directOpens());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      fs.close();
    }
  }

  /**
   * The connection number of the FUSE mount at {@code mp}: the minor of its device in
   * /proc/self/mountinfo (read there rather than by stat, which would ask this very server
   * before it runs). -1 if not found.
   */
  private static long connectionOf(Path mp) {
    try {
      return dev.strata.fuse.Mounts.at(mp).filter(m -> m.type().equals("fuse.strata")).map(m -> (long) m.minor())
          .orElse(-1L);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
