package dev.strata.fuse.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A small filesystem of its own, to hold an upper layer whose limits a test reaches: a
 * loop-mounted ext4 (a largest file size, 65000 links, errors that make it read-only, a shutdown
 * that fails every fsync), a tmpfs
 * of a few MiB and inodes, or a loop-mounted btrfs with a quota group limiting one subvolume (this kernel has no
 * per-user quota formats: CONFIG_QFMT_V2 and CONFIG_XFS_QUOTA are off, so a qgroup is where
 * EDQUOT comes from). {@link #root()} is where the upper and work directories go.
 */
final class ScratchFs implements AutoCloseable {
  private static final long BUSY_WAIT_NANOS = 30_000_000_000L;

  private final Path mountPoint;
  private final Path root;

  private ScratchFs(Path mountPoint, Path root) {
    this.mountPoint = mountPoint;
    this.root = root;
  }

  /**
   * An ext4 of {@code mib} MiB mounted at {@code at}, made from an image file beside it; an
   * error makes it read-only (errors=remount-ro), as a disk's failure does in the field.
   */
  static ScratchFs ext4(Path at, int mib) throws IOException, InterruptedException {
    Path image = image(at, mib);
    Command.check("mkfs.ext4", "-q", "-F", "-m", "0", image.toString());
    Command.check("mount", "-o", "loop,errors=remount-ro", image.toString(), at.toString());
    return new ScratchFs(at, at);
  }

  /**
   * A tmpfs of {@code mib} MiB and {@code inodes} inodes at {@code at}: full, it refuses data
   * at once (no delayed allocation, no blocks kept for metadata), so what a full disk answers
   * does not hang on when the kernel gets round to its bookkeeping.
   */
  static ScratchFs tmpfs(Path at, int mib, int inodes) throws IOException, InterruptedException {
    Files.createDirectories(at);
    Command.check("mount", "-t", "tmpfs", "-o", "size=" + mib + "m,nr_inodes=" + inodes, "scratch", at.toString());
    return new ScratchFs(at, at);
  }

  /**
   * A btrfs of {@code mib} MiB at {@code at} whose subvolume {@link #root()} may hold
   * {@code limitMib} MiB: past that, writes, creates and copy-up answer EDQUOT, for root too.
   */
  static ScratchFs btrfsWithQuota(Path at, int mib, int limitMib) throws IOException, InterruptedException {
    Path image = image(at, mib);
    Command.check("mkfs.btrfs", "-q", "-f", image.toString());
    Command.check("mount", "-o", "loop", image.toString(), at.toString());
    Path sub = at.resolve("limited");
    Command.check("btrfs", "quota", "enable", at.toString());
    Command.check("btrfs", "subvolume", "create", sub.toString());
    Command.check("btrfs", "qgroup", "limit", limitMib + "M", sub.toString());
    return new ScratchFs(at, sub);
  }

  /** A directory of the test's own filesystem, standing in where no limit is to be reached. */
  static ScratchFs directory(Path at) {
    return new ScratchFs(at, at);
  }

  private static Path image(Path at, int mib) throws IOException, InterruptedException {
    Files.createDirectories(at);
    Path image = at.resolveSibling(at.getFileName() + ".img");
    Command.check("truncate", "-s", mib + "M", image.toString());
    return image;
  }

  Path root() {
    return root;
  }

  /**
   * Has the ext4 report an error of its own, which makes it read-only at once under whatever
   * is open on it (a remount would wait for writers to close: strata-overlay's log is one).
   */
  void failReadOnly() throws IOException, InterruptedException {
    String device = Command.run(List.of("findmnt", "-no", "SOURCE", mountPoint.toString())).output().strip();
    Files.writeString(Path.of("/sys/fs/ext4", Path.of(device).getFileName().toString(), "trigger_fs_error"),
        "a test fails the upper's filesystem\n");
  }

  /**
   * Shuts the ext4 down as a dying disk would (EXT4_IOC_SHUTDOWN, which xfs_io's shutdown
   * sends): from then on every fsync of a file on it answers EIO, whatever its pages hold.
   */
  void shutDown() throws IOException, InterruptedException {
    Command.check("xfs_io", "-x", "-c", "shutdown", mountPoint.toString());
  }

  /** Unmounts it (the loop device goes with it) and removes the image. */
  @Override
  public void close() throws IOException, InterruptedException {
    // A FUSE server still ending after its unmount holds the upper's files a moment longer.
    long deadline = System.nanoTime() + BUSY_WAIT_NANOS;
    while (MountTable.contains(mountPoint)) {
      Command busy = Command.run(List.of("umount", mountPoint.toString()));
      if (busy.status() != 0 && System.nanoTime() > deadline) {
        Command.check("umount", "-l", mountPoint.toString());
        throw new IOException("umount " + mountPoint + ": " + busy.output());
      }
      if (busy.status() != 0) {
        Thread.sleep(100);
      }
    }
    Files.deleteIfExists(mountPoint.resolveSibling(mountPoint.getFileName() + ".img"));
  }
}
