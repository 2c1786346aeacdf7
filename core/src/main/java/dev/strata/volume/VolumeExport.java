package dev.strata.volume;

import dev.strata.host.HostDir;
import dev.strata.host.HostFile;
import dev.strata.host.Names;
import dev.strata.host.Stat;
import dev.strata.layer.LayerTarWriter;
import dev.strata.layer.Paths;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes a volume's data as a tar (the layer tar writer's PAX format): the directory itself as
 * {@code ./}, then every file below it, each directory's names in byte order, a directory before
 * what it holds. Owners are numbers, times are to the nanosecond, xattrs are every one the host
 * lists (as {@code SCHILY.xattr.*}), names are their bytes. A second name of a file (hard link)
 * is a link to the first name written; sockets are left out, since no tar holds one.
 *
 * <p>It reads the data as it is while it reads: a volume a container is writing to gives the
 * files as each was when it was read, and a file that changes size while it is read fails the
 * export.
 */
final class VolumeExport {
  private final HostDir root;
  private final LayerTarWriter tar;
  /** The first path written for each file with more than one name, by device and inode. */
  private final Map<String, String> written = new HashMap<>();

  VolumeExport(HostDir root, LayerTarWriter tar) {
    this.root = root;
    this.tar = tar;
  }

  /** A check, once every entry is written, that what was read is still the volume asked for. */
  @FunctionalInterface
  interface StillThere {
    void check() throws IOException;
  }

  /**
   * Writes the tree {@code data} to {@code out} as a tar; leaves {@code out} open. The end of
   * the archive is written only once {@code stillThere} passes: of a volume removed while it was
   * read (its files deleted under the walk) no whole archive is written, and the export fails.
   */
  static void write(Path data, OutputStream out, StillThere stillThere) throws IOException {
    try (HostDir root = HostDir.open(data)) {
      LayerTarWriter tar = new LayerTarWriter(out);
      new VolumeExport(root, tar).entry("", root.stat(""));
      stillThere.check();
      tar.close();
    }
  }

  private void entry(String rel, Stat st) throws IOException {
    one(rel, st);
    if (st.isDirectory()) {
      List<String> names = new ArrayList<>();
      root.list(rel).forEach(e -> names.add(e.name()));
      names.sort(Names.BYTE_ORDER);
      for (String name : names) {
        String child = Paths.join(rel, name);
        Stat cs = root.stat(child);
        if (cs != null) { // else removed since the listing
          entry(child, cs);
        }
      }
    }
  }

  /**
   * Writes the one entry {@code rel} (a directory without what it holds): a second name of a
   * file already written is a hard link to the first.
   */
  void one(String rel, Stat st) throws IOException {
    LayerTarWriter.Meta meta = meta(rel, st);
    if (st.isDirectory()) {
      tar.directory(rel.isEmpty() ? "." : rel, meta);
      return;
    }
    if (st.nlink() > 1) {
      String first = written.putIfAbsent(st.dev() + ":" + st.ino(), rel);
      if (first != null) {
        tar.hardlink(rel, meta, first);
        return;
      }
    }
    switch (st.type()) {
      case Stat.S_IFREG -> {
        // Non-blocking: a fifo put in the file's place since the stat must not hang the export.
        try (HostFile f = root.open(rel, HostFile.O_RDONLY | HostFile.O_NONBLOCK, 0)) {
          if (!f.stat().isRegular()) {
            throw new IOException(root.describe(rel) + ": no longer a regular file (changed while exported)");
          }
          tar.file(rel, meta, st.size(), f.stream());
        }
      }
      case Stat.S_IFLNK -> tar.symlink(rel, meta, root.readlink(rel));
      case Stat.S_IFIFO -> tar.special(rel, TarConstants.LF_FIFO, meta, 0, 0);
      case Stat.S_IFCHR -> tar.special(rel, TarConstants.LF_CHR, meta, st.rdevMajor(), st.rdevMinor());
      case Stat.S_IFBLK -> tar.special(rel, TarConstants.LF_BLK, meta, st.rdevMajor(), st.rdevMinor());
      default -> { } // a socket: no tar holds one
    }
  }

  private LayerTarWriter.Meta meta(String rel, Stat st) throws IOException {
    TreeMap<String, byte[]> xattrs = new TreeMap<>();
    for (String name : root.listxattr(rel)) {
      byte[] value = root.getxattr(rel, name);
      if (value != null) { // else removed since the listing
        xattrs.put(name, value);
      }
    }
    return new LayerTarWriter.Meta(st.mode() & 07777, st.uid(), st.gid(), Math.floorDiv(st.mtimeNanos(), 1_000_000_000L),
        (int) Math.floorMod(st.mtimeNanos(), 1_000_000_000L), xattrs);
  }
}
