package dev.strata.layout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A store's {@code tmp/}, split by process. Every write is staged in tmp/ and then published by
 * a rename; each process stages in a directory of its own, {@code tmp/p-PID-RANDOM/}, and holds
 * an fcntl lock on that directory's {@code owner} file for as long as it runs.
 *
 * <p>The kernel drops the lock when the process ends, however it ends (a kill -9 too; on NFS the
 * server's lock manager does when the client goes), so a directory whose lock anybody can take
 * holds what a failed or killed process left behind, and one whose lock is held belongs to a
 * process still at work. {@link #sweep} removes the first kind and never touches the second: it
 * needs no store-wide exclusion, so every process that takes the store lock runs it, and a
 * killed pull's staged bytes go when the next command starts rather than at the next gc.
 *
 * <p>A directory is made under a name sweep ignores ({@code .new-...}), locked, and only then
 * renamed to its {@code p-} name: no sweep can see it unlocked.
 */
final class StagingSessions {
  private static final String PREFIX = "p-";
  private static final String NEW = ".new-";
  private static final String OWNER = "owner";
  /** A .new- directory older than this was left by a process that died between mkdir and rename. */
  private static final Duration ABANDONED = Duration.ofMinutes(10);
  /** This process's directory of each store tmp/, with the lock that marks it live. */
  private static final ConcurrentHashMap<Path, Session> OWN = new ConcurrentHashMap<>();

  private record Session(Path dir, FileChannel owner, FileLock lock) {}

  private StagingSessions() {}

  /** Returns this process's staging directory under {@code tmpRoot}, making it at first use. */
  static Path own(Path tmpRoot) {
    return OWN.computeIfAbsent(tmpRoot, root -> {
      try {
        return open(root);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot make a staging directory in " + root, e);
      }
    }).dir();
  }

  private static Session open(Path tmpRoot) throws IOException {
    Files.createDirectories(tmpRoot);
    String id = ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
    Path fresh = Files.createDirectory(tmpRoot.resolve(NEW + id));
    FileChannel owner = FileChannel.open(fresh.resolve(OWNER), StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE);
    FileLock lock = owner.lock();
    Path dir = tmpRoot.resolve(PREFIX + id);
    Files.move(fresh, dir);
    Session s = new Session(dir, owner, lock);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> removeOwn(s), "strata-staging-cleanup"));
    return s;
  }

  private static void removeOwn(Session s) {
    try {
      removeTree(s.dir(), new ArrayList<>());
    } catch (IOException | RuntimeException e) {
      // the next sweep removes it: the lock goes with the process
    }
  }

  /** Whether {@code name}, a name in tmp/, is a process's staging directory (live or left). */
  static boolean isSession(String name) {
    return name.startsWith(PREFIX) || name.startsWith(NEW);
  }

  /** What a sweep found: the directories it removed, and those it could not (with why). */
  record Swept(List<Path> removed, List<String> kept) {}

  /**
   * Removes the staging directories under {@code tmpRoot} of processes that are gone. Safe
   * beside any number of processes at work, each of which holds its own directory's lock.
   */
  static Swept sweep(Path tmpRoot) throws IOException {
    List<Path> removed = new ArrayList<>();
    List<String> kept = new ArrayList<>();
    if (!Files.isDirectory(tmpRoot)) {
      return new Swept(removed, kept);
    }
    Session mine = OWN.get(tmpRoot);
    List<Path> candidates;
    try (Stream<Path> list = Files.list(tmpRoot)) {
      candidates = list.filter(p -> isSession(p.getFileName().toString())).toList();
    }
    for (Path dir : candidates) {
      if (mine != null && dir.equals(mine.dir())) {
        continue;
      }
      if (dir.getFileName().toString().startsWith(NEW) && !abandoned(dir)) {
        continue;
      }
      if (removeIfLeft(dir, kept)) {
        removed.add(dir);
      }
    }
    return new Swept(removed, kept);
  }

  private static boolean abandoned(Path dir) {
    try {
      Instant modified = Files.getLastModifiedTime(dir, LinkOption.NOFOLLOW_LINKS).toInstant();
      return modified.isBefore(Instant.now().minus(ABANDONED));
    } catch (IOException e) {
      return false;
    }
  }

  /** Removes {@code dir} if nobody holds its owner lock; returns whether it is gone. */
  private static boolean removeIfLeft(Path dir, List<String> kept) throws IOException {
    Path owner = dir.resolve(OWNER);
    FileChannel ch;
    try {
      ch = FileChannel.open(owner, StandardOpenOption.WRITE);
    } catch (NoSuchFileException e) {
      // No owner file: a directory of an older Strata, or one a dying process half removed.
      return removeTree(dir, kept);
    } catch (java.nio.file.AccessDeniedException e) {
      // Another user's process (root reading a user's store): not this process's to judge or
      // remove, and no reason to fail what this process is doing.
      kept.add(dir + ": another user's");
      return false;
    }
    try (ch) {
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        return false; // this JVM holds it
      }
      if (lock == null) {
        return false; // a live process's
      }
      // Held while removing: a second sweeper waits its turn rather than racing this one.
      return removeTree(dir, kept);
    }
  }

  /**
   * Deletes {@code dir} and what is in it, never following a symlink and never descending into
   * another filesystem: a mount point left under a killed `strata run` is named in {@code kept},
   * not emptied through (its server may be gone, or it may serve a container's files).
   */
  static boolean removeTree(Path dir, List<String> kept) throws IOException {
    Object device;
    try {
      device = Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return true;
    }
    boolean[] whole = {true};
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
        Object here;
        try {
          here = Files.getAttribute(d, "unix:dev", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException gone) {
          // Its owner, ending, removes its own directory while this sweep walks it.
          return FileVisitResult.SKIP_SUBTREE;
        }
        if (!device.equals(here)) {
          kept.add(d + ": a mount point (unmount it, then run strata gc)");
          whole[0] = false;
          return FileVisitResult.SKIP_SUBTREE;
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(f);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path f, IOException e) {
        if (!(e instanceof NoSuchFileException)) {
          // e.g. ENOTCONN: the mount point of a FUSE server that is gone
          kept.add(f + ": " + e.getMessage());
          whole[0] = false;
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        try {
          Files.deleteIfExists(d);
        } catch (DirectoryNotEmptyException notEmpty) {
          whole[0] = false;
        }
        return FileVisitResult.CONTINUE;
      }
    });
    return whole[0];
  }
}
