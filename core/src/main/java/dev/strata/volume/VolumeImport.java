package dev.strata.volume;

import dev.strata.host.ErrnoException;
import dev.strata.host.HostDir;
import dev.strata.host.HostFile;
import dev.strata.host.Names;
import dev.strata.host.Privileges;
import dev.strata.host.Stat;
import dev.strata.layer.Bytes;
import dev.strata.layer.EntryKind;
import dev.strata.layer.IngestLimits;
import dev.strata.layer.LayerEntry;
import dev.strata.layer.LayerStreams;
import dev.strata.layer.Paths;
import dev.strata.layer.TarEntries;
import dev.strata.layer.UnsafeLayerException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Unpacks a tar (plain, gzip or zstd, told by its first bytes) into an empty directory, the
 * staged data of a new volume: owners (when this process may give any), modes, times to the
 * nanosecond, xattrs, hard links, symlinks, fifos and device nodes as the tar holds them.
 *
 * <p>Nothing is written outside the directory. Names are read and checked as a layer's are
 * ({@link TarEntries}: no absolute name, no {@code ..}); on top of that every directory an entry
 * goes into must be one this tar made (or a missing one made here), never a symlink or a file
 * of the tar, and a hard link must name a file the tar made earlier. No call follows a symlink:
 * the tar's symlinks are data, kept as they are, for the containers that use the volume.
 */
final class VolumeImport {
  private static final int BUFFER = 1 << 16;

  private final HostDir root;
  private final boolean chown;
  /** The directories made so far ("" is the root), in the order they were made. */
  private final Set<String> directories = new HashSet<>();
  /** Everything else made so far: what a hard link may name. */
  private final Set<String> others = new HashSet<>();
  /**
   * The directories' own entries by path, in the order the directories were made, applied last:
   * making what is in a directory changes its time.
   */
  private final LinkedHashMap<String, LayerEntry> directoryEntries = new LinkedHashMap<>();
  private final byte[] buffer = new byte[BUFFER];

  private VolumeImport(HostDir root, boolean chown) {
    this.root = root;
    this.chown = chown;
    directories.add("");
  }

  /** Unpacks the tar {@code in} into {@code root}, an empty directory. */
  static void read(InputStream in, HostDir root) throws IOException {
    BufferedInputStream buffered = new BufferedInputStream(in, BUFFER);
    InputStream tar = LayerStreams.decompress(buffered, LayerStreams.sniff(buffered));
    TarEntries entries = new TarEntries(tar, IngestLimits.DEFAULT.maxHeaderBytes(), false);
    VolumeImport unpack = new VolumeImport(root, Privileges.ofProcess().chown());
    try {
      LayerEntry e;
      while ((e = entries.next()) != null) {
        try {
          unpack.add(e, entries);
        } catch (ErrnoException hostSaid) {
          // The host's refusal (no CAP_MKNOD for a device, an xattr namespace it keeps to itself)
          // named by the entry, not by the staging path it was made at.
          throw new IOException("entry '" + Names.printable(entries.rawName()) + "': " + hostSaid.getMessage(), hostSaid);
        }
      }
      entries.finish();
    } catch (IOException | IllegalArgumentException e) {
      throw entries.explain(e);
    }
    unpack.finishDirectories();
  }

  private void add(LayerEntry e, TarEntries entries) throws IOException {
    String path = e.path();
    String raw = entries.rawName();
    if (e.kind() == EntryKind.DIRECTORY && directories.contains(path)) {
      directoryEntries.put(path, e); // the root, or a directory named again: its last entry wins
      return;
    }
    if (directories.contains(path) || others.contains(path)) {
      throw refused(raw, "a second entry of the same name");
    }
    parents(raw, Paths.parent(path));
    switch (e.kind()) {
      case DIRECTORY -> {
        root.mkdir(path, 0700);
        directories.add(path);
        directoryEntries.put(path, e);
        return;
      }
      case FILE -> file(e, entries.data());
      case SYMLINK -> root.symlink(e.linkTarget(), path);
      case HARDLINK -> {
        if (!others.contains(e.linkTarget())) {
          throw refused(raw, "a hard link to '" + Names.printable(e.linkTarget())
              + "', which is no file an earlier entry of the archive made");
        }
        root.link(e.linkTarget(), root, path);
        others.add(path);
        return; // a second name of a file: the file's entry said what it is
      }
      case FIFO -> root.mknod(path, Stat.S_IFIFO | 0600, 0, 0);
      case CHAR_DEVICE -> root.mknod(path, Stat.S_IFCHR | 0600, e.devMajor(), e.devMinor());
      case BLOCK_DEVICE -> root.mknod(path, Stat.S_IFBLK | 0600, e.devMajor(), e.devMinor());
      default -> throw refused(raw, "an entry of kind " + e.kind() + ", which a volume cannot hold");
    }
    others.add(path);
    attributes(e);
  }

  /**
   * Makes sure every directory down to {@code dir} is one of this tar, making missing ones (as
   * tar does); refuses a path through anything else the tar made, which a symlink of the tar
   * could take outside the volume.
   */
  private void parents(String raw, String dir) throws IOException {
    if (directories.contains(dir)) {
      return;
    }
    if (others.contains(dir)) {
      throw refused(raw, "it goes through '" + Names.printable(dir) + "', which the archive made as no directory");
    }
    parents(raw, Paths.parent(dir));
    root.mkdir(dir, 0755);
    directories.add(dir);
  }

  private void file(LayerEntry e, InputStream data) throws IOException {
    try (HostFile f = root.open(e.path(), HostFile.O_WRONLY | HostFile.O_CREAT | HostFile.O_EXCL, 0600)) {
      long position = 0;
      while (position < e.size()) {
        int n = data.read(buffer, 0, (int) Math.min(buffer.length, e.size() - position));
        if (n < 0) {
          throw new java.io.EOFException("the archive ends inside " + Names.printable(e.path()));
        }
        ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
        while (chunk.hasRemaining()) {
          position += f.write(position, chunk);
        }
      }
    }
  }

  /**
   * Gives {@code e}'s path the owner, mode, xattrs and times of its entry, in the order that
   * keeps each: chown clears setuid bits and file capabilities, so it comes first, and the time
   * last.
   */
  private void attributes(LayerEntry e) throws IOException {
    String path = e.path();
    if (chown) {
      root.chown(path, e.uid(), e.gid());
    }
    root.chmod(path, e.mode());
    for (Map.Entry<String, Bytes> x : e.xattrs().entrySet()) {
      root.setxattr(path, x.getKey(), x.getValue().toArray(), 0);
    }
    long mtime = Math.addExact(Math.multiplyExact(e.mtimeSeconds(), 1_000_000_000L), e.mtimeNanos());
    root.utimens(path, mtime, mtime);
  }

  /** Applies the directories' entries, each directory's after those of what is in it. */
  private void finishDirectories() throws IOException {
    List<LayerEntry> made = new ArrayList<>(directoryEntries.values());
    for (int i = made.size() - 1; i >= 0; i--) {
      attributes(made.get(i));
    }
  }

  private static UnsafeLayerException refused(String raw, String problem) {
    return new UnsafeLayerException("entry '" + Names.printable(raw) + "': " + problem);
  }
}
