package dev.strata.layout;

import dev.strata.host.LockHolders;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A read-write lock shared by every strata process and thread that opens one store.
 *
 * <p>Processes meet through an fcntl lock on a file; threads of one JVM meet through a
 * ReentrantReadWriteLock first, because the JVM refuses a second OS lock on a file it already
 * locks. The first shared holder in a JVM takes the OS lock for all of them. The file is opened
 * by the first holder and closed by the last: a lock file removed meanwhile (gc empties
 * {@code tmp/}, where the indexing locks are) is then made again, never locked through a
 * descriptor of the removed one that other processes cannot meet.
 */
final class StoreLock {
  private static final ConcurrentHashMap<Path, StoreLock> LOCKS = new ConcurrentHashMap<>();

  private final Path file;
  private final ReentrantReadWriteLock threads = new ReentrantReadWriteLock();
  private FileLock shared;
  private int sharedHolders;

  /** A held lock; close releases it. */
  interface Held extends AutoCloseable {
    @Override
    void close();
  }

  private StoreLock(Path file) {
    this.file = file;
  }

  static StoreLock of(Path file) {
    return LOCKS.computeIfAbsent(file.toAbsolutePath().normalize(), StoreLock::new);
  }

  /**
   * Takes the lock shared (many holders), waiting for an exclusive holder to finish; with a
   * {@code timeout}, no longer than that.
   */
  Held shared(PrintStream waitingNotice, Duration timeout) throws IOException {
    threads.readLock().lock();
    try {
      synchronized (this) {
        if (sharedHolders == 0) {
          shared = acquire(true, waitingNotice, timeout);
        }
        sharedHolders++;
      }
    } catch (IOException | RuntimeException e) {
      threads.readLock().unlock();
      throw e;
    }
    return () -> {
      synchronized (this) {
        if (--sharedHolders == 0) {
          release(shared);
          shared = null;
        }
      }
      threads.readLock().unlock();
    };
  }

  /**
   * Takes the lock exclusively, waiting for every other holder to finish; with a {@code
   * timeout}, no longer than that (threads of this JVM are waited for without one: they hold the
   * lock for one command's step).
   */
  Held exclusive(PrintStream waitingNotice, Duration timeout) throws IOException {
    threads.writeLock().lock();
    FileLock lock;
    try {
      synchronized (this) {
        lock = acquire(false, waitingNotice, timeout);
      }
    } catch (IOException | RuntimeException e) {
      threads.writeLock().unlock();
      throw e;
    }
    return () -> {
      synchronized (this) {
        release(lock);
      }
      threads.writeLock().unlock();
    };
  }

  private FileLock acquire(boolean isShared, PrintStream waitingNotice, Duration timeout) throws IOException {
    FileChannel opened = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    try {
      FileLock lock = opened.tryLock(0, Long.MAX_VALUE, isShared);
      if (lock != null) {
        return lock;
      }
      if (waitingNotice != null) {
        waitingNotice.println("strata: waiting for the lock " + file + ", " + LockHolders.describe(file)
            + (timeout == null ? "" : " (for at most " + timeout.toSeconds() + " s)"));
      }
      if (timeout == null) {
        return opened.lock(0, Long.MAX_VALUE, isShared);
      }
      // fcntl has no timed wait; a poll a few times a second costs nothing beside a wait of seconds.
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        try {
          Thread.sleep(Math.min(200, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("interrupted waiting for " + file);
        }
        lock = opened.tryLock(0, Long.MAX_VALUE, isShared);
        if (lock != null) {
          return lock;
        }
      }
      throw new StoreBusyException("gave up after " + timeout.toSeconds() + " s waiting for the lock " + file + ", "
          + LockHolders.describe(file));
    } catch (IOException | RuntimeException e) {
      opened.close();
      throw e;
    }
  }

  private static void release(FileLock lock) {
    try {
      lock.release();
      lock.acquiredBy().close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot release store lock", e);
    }
  }
}
