package dev.strata.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.LibraryLoader;
import jnr.ffi.types.size_t;

/**
 * Gives a mount server's spare memory back to the system once the server has gone quiet after
 * work: a full collection, which with the server's heap settings ({@link Detached#SERVER_HEAP})
 * shrinks the heap to what is live, then glibc's malloc_trim, which returns the pages freed
 * inside malloc's arenas (the JIT compiler's work areas are most of them: 10-15 MB after a
 * server's first requests, kept by glibc for reuse otherwise).
 *
 * <p>Why: a server lives as long as its mount, mostly idle, and no collector gives memory back
 * by itself while nothing allocates: the heap a burst of requests grew (a walk, the warm-up)
 * would stay resident for the mount's life. Quiet is seen without touching the request path:
 * an idle server allocates nothing, so its heap's use stops moving; a few polls in a row
 * without movement is the moment, if there is something to win: enough allocation since the
 * last trim, or a resident size that grew since (the compiler's arenas grow without a byte of
 * heap). A trim costs one full collection, milliseconds for a few tens of MB live, and happens
 * once per burst, not per poll.
 *
 * <p>Only for a process that is a mount server ({@link ServedMount}: one mount's, or the shared
 * {@link MountServer}'s): a collection forced in a JVM that does other work would be that work's pause.
 */
final class IdleTrim {
  private static final System.Logger LOG = System.getLogger(IdleTrim.class.getName());
  static final long POLL_MS = 1000;
  /** Quiet polls in a row that make a server idle. */
  static final int QUIET_POLLS = 3;
  /** A change of the heap's use below this is no work: a poll's own bytes, a stray timer's. */
  static final long NOISE = 256 << 10;
  /**
   * Heap allocated (or collected) since the last trim, or resident size grown since, below which
   * a trim would win nothing.
   */
  static final long WORTH = 4 << 20;

  private static final Path STATUS = Path.of("/proc/self/status");

  private long lastUsed;
  private long trimmedRss;
  private long churn;
  private int quiet;

  IdleTrim(long used, long rss) {
    this.lastUsed = used;
    this.trimmedRss = rss;
  }

  /** Takes one poll's reading of the heap's use and the resident size; returns whether to trim now. */
  boolean poll(long used, long rss) {
    long moved = Math.abs(used - lastUsed);
    lastUsed = used;
    if (moved > NOISE) {
      churn += moved;
      quiet = 0;
      return false;
    }
    quiet++;
    return quiet >= QUIET_POLLS && (churn >= WORTH || rss - trimmedRss >= WORTH);
  }

  /** Whether the last poll saw work (the heap's use moved). */
  boolean busy() {
    return quiet == 0;
  }

  /** After a trim: its own collection is not work to trim after, and what it left is the new base. */
  void trimmed(long used, long rss) {
    lastUsed = used;
    trimmedRss = rss;
    churn = 0;
    quiet = 0;
  }

  /** What each served union gives back when asked (its mapped index pages); one trimming thread for them all. */
  private static final java.util.Set<Runnable> RELEASERS = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private static boolean started;

  /**
   * Trims this process when idle, for as long as {@code releasePages} (a served union's) is
   * watched: the returned handle stops watching it. One daemon thread for the whole process,
   * started with the first union; {@code -Dstrata.idle-trim=false} leaves it out (to measure
   * what it gives back).
   */
  static AutoCloseable watch(Runnable releasePages) {
    if (!Boolean.parseBoolean(System.getProperty("strata.idle-trim", "true"))) {
      return () -> { };
    }
    RELEASERS.add(releasePages);
    synchronized (IdleTrim.class) {
      if (!started) {
        started = true;
        Thread t = new Thread(IdleTrim::loop, "strata-idle-trim");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
      }
    }
    return () -> RELEASERS.remove(releasePages);
  }

  private static void releasePages() {
    RELEASERS.forEach(Runnable::run);
  }

  private static void loop() {
    IdleTrim state = new IdleTrim(used(), rss());
    try {
      while (true) {
        Thread.sleep(POLL_MS);
        boolean trim = state.poll(used(), rss());
        if (state.busy()) {
          // While requests come, the mapped index pages they read go back every poll: a walk
          // of a big layer would hold every page of its index otherwise. A page read again
          // maps again from the page cache (a minor fault), so a second's worth is all it costs.
          releasePages();
        }
        if (trim) {
          releasePages();
          trim();
          state.trimmed(used(), rss());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static long used() {
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }

  /** The resident size of this process in bytes (VmRSS); 0 where /proc cannot tell (never worth a trim then). */
  static long rss() {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) << 10;
        }
      }
    } catch (IOException | RuntimeException e) {
      // no /proc: the heap's churn alone decides
    }
    return 0;
  }

  /** A full collection, then the native heap's free pages back to the system. */
  static void trim() {
    System.gc();
    Malloc.trim();
  }

  /** glibc's malloc_trim; absent from other C libraries (musl), where trimming is only the collection. */
  static final class Malloc {
    private static volatile boolean absent;

    /** Public only because jnr-ffi implements it in a class loader of its own. */
    public interface Calls {
      int malloc_trim(@size_t long pad);
    }

    private Malloc() {}

    static void trim() {
      if (absent) {
        return;
      }
      try {
        Holder.CALLS.malloc_trim(0);
      } catch (LinkageError | RuntimeException e) {
        absent = true;
        LOG.log(System.Logger.Level.DEBUG, "no malloc_trim here: " + e);
      }
    }

    /** Bound on first use, so that a server that never goes idle never loads the binding. */
    private static final class Holder {
      static final Calls CALLS = LibraryLoader.create(Calls.class).load("c");
    }
  }
}
