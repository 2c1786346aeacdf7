package dev.strata.volume;

import dev.strata.blob.Durability;
import dev.strata.host.Names;
import dev.strata.host.Stat;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the live data of a volume looked like when it last matched a snapshot: every path's
 * stat (type and mode, inode, links, owner, size, mtime, ctime), in {@code volumes/NAME/stat}.
 * A commit reads only the files whose stat differs, so its time follows the bytes changed and
 * not the volume's size; ctime moves on every write, chmod, chown, xattr and link of a file,
 * and no process can set it back.
 *
 * <p>It names the snapshot it describes: one that names another (a commit or reset killed
 * between moving its branch and writing this) is not used, and every file counts as changed.
 */
final class StatMemory {
  static final String FILE = "stat";
  /**
   * The ctime written for a path changed less than {@link #RACY_WINDOW_NANOS} before the walk
   * that took its stat: a write in the same tick of the file system's clock, after the stat,
   * would leave the same ctime, so such a stat proves nothing and the path is compared with
   * its snapshot's entry (owner, mode, times, xattrs, bytes) instead (git's "racy clean").
   */
  static final long RACY = Long.MIN_VALUE;
  /** A second: coarser than the clock of any file system a store is on (ext4 and xfs tick in milliseconds). */
  static final long RACY_WINDOW_NANOS = 1_000_000_000L;
  private static final int MAGIC = 0x53564d31; // "SVM1"

  private StatMemory() {}

  /** The stats of the data as of snapshot {@code snapshot}. */
  record Memory(String snapshot, Map<String, Stat> stats) {}

  /** Returns whether {@code a} and {@code b} are one file unchanged, ctime aside. */
  static boolean sameButCtime(Stat a, Stat b) {
    return a.mode() == b.mode() && a.ino() == b.ino() && a.nlink() == b.nlink() && a.uid() == b.uid()
        && a.gid() == b.gid() && a.size() == b.size() && a.mtimeNanos() == b.mtimeNanos()
        && a.rdevMajor() == b.rdevMajor() && a.rdevMinor() == b.rdevMinor();
  }

  /**
   * Writes the memory of {@code stats}, taken by a walk that began at {@code walked} (the wall
   * clock, in nanoseconds): ctimes within {@link #RACY_WINDOW_NANOS} of it are written as {@link #RACY}.
   */
  static void write(Path volumeDir, Path tmp, String snapshot, Map<String, Stat> stats, long walked) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + stats.size() * 96);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(MAGIC);
      out.writeUTF(snapshot);
      out.writeInt(stats.size());
      for (Map.Entry<String, Stat> e : stats.entrySet()) {
        byte[] name = Names.encode(e.getKey());
        out.writeInt(name.length);
        out.write(name);
        Stat s = e.getValue();
        out.writeInt(s.mode());
        out.writeLong(s.ino());
        out.writeInt(s.nlink());
        out.writeLong(s.uid());
        out.writeLong(s.gid());
        out.writeInt(s.rdevMajor());
        out.writeInt(s.rdevMinor());
        out.writeLong(s.size());
        out.writeLong(s.mtimeNanos());
        out.writeLong(s.ctimeNanos() >= walked - RACY_WINDOW_NANOS ? RACY : s.ctimeNanos());
      }
    }
    Durability.writeAtomically(volumeDir.resolve(FILE), tmp, bytes.toByteArray());
  }

  /** The memory of the volume in {@code volumeDir}, if it has one that is whole. */
  static Optional<Memory> read(Path volumeDir) throws IOException {
    try (InputStream file = Files.newInputStream(volumeDir.resolve(FILE));
        DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(file, 1 << 16))) {
      if (in.readInt() != MAGIC) {
        return Optional.empty();
      }
      String snapshot = in.readUTF();
      int count = in.readInt();
      Map<String, Stat> stats = new HashMap<>(count * 2);
      for (int i = 0; i < count; i++) {
        byte[] name = new byte[in.readInt()];
        in.readFully(name);
        int mode = in.readInt();
        long ino = in.readLong();
        int nlink = in.readInt();
        long uid = in.readLong();
        long gid = in.readLong();
        int major = in.readInt();
        int minor = in.readInt();
        long size = in.readLong();
        long mtime = in.readLong();
        long ctime = in.readLong();
        stats.put(Names.decode(name), new Stat(mode, ino, 0, nlink, uid, gid, major, minor, size, 0, 0, mtime, ctime));
      }
      return Optional.of(new Memory(snapshot, stats));
    } catch (NoSuchFileException | EOFException e) {
      return Optional.empty(); // none, or cut short: every file counts as changed
    }
  }
}
