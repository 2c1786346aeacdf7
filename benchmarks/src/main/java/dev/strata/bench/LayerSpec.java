package dev.strata.bench;

import dev.strata.blob.ObjectBatch;
import dev.strata.host.HostPaths;
import dev.strata.host.Privileges;
import dev.strata.layer.IngestLimits;
import dev.strata.layer.LayerIndex;
import dev.strata.layer.LayerIngest;
import dev.strata.layer.LowerFiles;
import dev.strata.layer.Paths;
import dev.strata.layout.Store;
import dev.strata.overlay.Whiteouts;
import dev.strata.union.HostDirLayer;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * One layer of a union benchmark: directories, regular files and whiteouts, written either as
 * a layer tar ingested into a store (what mounts read) or as a host directory in kernel overlay
 * format. Both writings hold the same names, so a benchmark can compare the two lower layers.
 */
final class LayerSpec {
  /** S_IFCHR: the kernel's whiteout is a char device 0/0. */
  private static final int CHAR_DEVICE = 0020000;
  private static final int CHUNK = 1 << 20;

  private enum Kind { DIR, FILE, ZEROS, WHITEOUT }

  /** One entry; {@code size} is a file's length (FILE: seeded random bytes, ZEROS: a hole). */
  private record Entry(String path, Kind kind, long size) {}

  private final List<Entry> entries = new ArrayList<>();

  /** Adds a directory; its parent must have been added (or be the root). */
  LayerSpec dir(String path) {
    entries.add(new Entry(path, Kind.DIR, 0));
    return this;
  }

  /** Adds a regular file of {@code size} seeded random bytes. */
  LayerSpec file(String path, long size) {
    entries.add(new Entry(path, Kind.FILE, size));
    return this;
  }

  /** Adds a regular file of {@code size} zero bytes: sparse in a host directory. */
  LayerSpec zeros(String path, long size) {
    entries.add(new Entry(path, Kind.ZEROS, size));
    return this;
  }

  /** Adds a whiteout of {@code path}, deleting it from the layers below. */
  LayerSpec whiteout(String path) {
    entries.add(new Entry(path, Kind.WHITEOUT, 0));
    return this;
  }

  /**
   * Writes the layer as a tar into {@code scratch}, ingests it into {@code objects} (committed
   * by the caller) as a pull does, and returns its index.
   */
  LayerIndex ingest(ObjectBatch objects, Path scratch) throws IOException {
    // Through a file, not memory: a layer may hold a 1 GiB file.
    Path tar = Files.createTempFile(scratch, "layer-", ".tar");
    try {
      writeTar(tar);
      try (InputStream in = Files.newInputStream(tar)) {
        LayerIngest.Result r = LayerIngest.ingest(in, objects, LowerFiles.NONE, IngestLimits.DEFAULT);
        return r.index();
      }
    } finally {
      Files.deleteIfExists(tar);
    }
  }

  /** Ingests several layers into {@code store} in one batch (one commit, one flush). */
  static List<LayerIndex> ingestAll(Store store, List<LayerSpec> layers, Path scratch) throws IOException {
    List<LayerIndex> out = new ArrayList<>(layers.size());
    try (ObjectBatch objects = store.objects().batch()) {
      for (LayerSpec l : layers) {
        out.add(l.ingest(objects, scratch));
      }
      objects.commit();
    }
    return out;
  }

  /**
   * Writes the layer into the empty or absent directory {@code root} as the kernel's overlay
   * holds a lower: whiteouts are char 0/0 devices where {@code host} can make them, else
   * {@code .wh.NAME} files. Returns the layer opened through {@code host}.
   */
  HostDirLayer writeHostDir(Path root, Privileges host) throws IOException {
    Files.createDirectories(root);
    for (Entry e : entries) {
      Path p = root.resolve(e.path());
      switch (e.kind()) {
        case DIR -> Files.createDirectory(p);
        case FILE -> {
          try (OutputStream out = Files.newOutputStream(p)) {
            writeRandom(out, e);
          }
        }
        case ZEROS -> {
          try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(e.size());
          }
        }
        case WHITEOUT -> {
          if (host.mknod()) {
            HostPaths.mknod(p, CHAR_DEVICE, Whiteouts.DEVICE_NUMBER, Whiteouts.DEVICE_NUMBER);
          } else {
            Files.createFile(p.resolveSibling(Whiteouts.whiteoutName(p.getFileName().toString())));
          }
        }
      }
    }
    return HostDirLayer.open(root);
  }

  private void writeTar(Path file) throws IOException {
    try (OutputStream raw = new BufferedOutputStream(Files.newOutputStream(file), CHUNK);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(raw)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      for (Entry e : entries) {
        switch (e.kind()) {
          case DIR -> {
            TarArchiveEntry t = new TarArchiveEntry(e.path() + "/");
            t.setMode(040755);
            tar.putArchiveEntry(t);
          }
          case FILE, ZEROS -> {
            TarArchiveEntry t = new TarArchiveEntry(e.path());
            t.setMode(0100644);
            t.setSize(e.size());
            tar.putArchiveEntry(t);
            if (e.kind() == Kind.FILE) {
              writeRandom(tar, e);
            } else {
              writeZeros(tar, e.size());
            }
          }
          case WHITEOUT -> {
            String marker = Whiteouts.whiteoutPath(Paths.parent(e.path()), Paths.name(e.path()));
            TarArchiveEntry t = new TarArchiveEntry(marker);
            t.setMode(0100644);
            t.setSize(0);
            tar.putArchiveEntry(t);
          }
        }
        tar.closeArchiveEntry();
      }
      tar.finish();
    }
  }

  /** Random bytes seeded by the path, so both writings of a layer hold the same content. */
  private static void writeRandom(OutputStream out, Entry e) throws IOException {
    Random random = new Random(e.path().hashCode());
    byte[] buf = new byte[(int) Math.min(CHUNK, e.size())];
    for (long left = e.size(); left > 0; left -= buf.length) {
      random.nextBytes(buf);
      out.write(buf, 0, (int) Math.min(buf.length, left));
    }
  }

  private static void writeZeros(OutputStream out, long size) throws IOException {
    byte[] buf = new byte[(int) Math.min(CHUNK, size)];
    for (long left = size; left > 0; left -= buf.length) {
      out.write(buf, 0, (int) Math.min(buf.length, left));
    }
  }
}
