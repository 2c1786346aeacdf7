package dev.strata.blob;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/** The few steps that make a write survive a crash: fsync, directory fsync, atomic rename. */
public final class Durability {
  private Durability() {}

  /** Flushes a file's data and metadata to the device. */
  public static void fsync(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  /** Flushes a directory, so that the names created or renamed in it are durable. */
  public static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Some filesystems (and some JDK builds) refuse to open a directory for fsync; the
      // rename is then as durable as the filesystem makes it, which is all we can do.
    }
  }

  /**
   * Flushes the whole filesystem that holds {@code path} (syncfs(2), through {@code sync -f}).
   *
   * <p>One syncfs costs about as much as one fsync, so an ingest that stages ten thousand small
   * files flushes them all at once instead of paying ten thousand journal commits. Falls back to
   * a full {@code sync} if {@code sync -f} is unavailable.
   */
  public static void syncFilesystem(Path path) throws IOException {
    if (run("sync", "-f", path.toString()) != 0 && run("sync") != 0) {
      throw new IOException("cannot flush the filesystem of " + path + " (sync -f failed)");
    }
  }

  private static int run(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        return -1;
      }
      return p.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while flushing " + String.join(" ", command), e);
    }
  }

  /**
   * Renames {@code source} onto {@code target} atomically, replacing it, and makes the new name
   * durable.
   */
  public static void renameDurably(Path source, Path target) throws IOException {
    try {
      Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("the store's tmp/ and " + target.getParent()
          + " must be on one filesystem for atomic renames", e);
    }
    fsyncDirectory(target.getParent());
  }

  /**
   * Creates an empty temp file in {@code dir} readable by all (0644 before the umask), as the
   * files of an OCI layout are: other users' skopeo and umoci read the store too. The JDK's own
   * temp files are private (0600).
   */
  public static Path createTempFile(Path dir, String prefix) throws IOException {
    Path temp = Files.createTempFile(dir, prefix, ".tmp");
    try {
      Files.setPosixFilePermissions(temp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX filesystem: keep the default
    }
    return temp;
  }

  /** Writes {@code bytes} to {@code target} through a temp file in {@code tmpDir}: all or nothing. */
  public static void writeAtomically(Path target, Path tmpDir, byte[] bytes) throws IOException {
    Files.createDirectories(tmpDir);
    Path temp = createTempFile(tmpDir, "write-");
    try {
      try (OutputStream out = Files.newOutputStream(temp, StandardOpenOption.WRITE)) {
        out.write(bytes);
      }
      fsync(temp);
      Files.createDirectories(target.getParent());
      renameDurably(temp, target);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Moves {@code source} to {@code target} unless {@code target} exists already; content-addressed
   * names make an existing target as good as a new one. Returns true if this call placed it.
   */
  static boolean moveIfAbsent(Path source, Path target) throws IOException {
    Files.createDirectories(target.getParent());
    try {
      // A hard link fails if the target exists, unlike rename, which would replace it: a reader
      // that already opened the existing blob keeps a valid file either way, but this way two
      // writers of the same blob never replace each other's finished file.
      Files.createLink(target, source);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    } catch (UnsupportedOperationException | IOException e) {
      if (Files.exists(target)) {
        return false;
      }
      Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
      return true;
    } finally {
      Files.deleteIfExists(source);
    }
  }
}
