package dev.strata.blob;

import dev.strata.digest.Digest;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Many content-addressed writes made durable together.
 *
 * <p>A layer holds thousands of small files, and on the filesystems stores live on, creating a
 * file costs far more than writing a few kilobytes into one. So small contents (up to
 * {@link ObjectStore#PACK_LIMIT}) are appended to one pack for the batch, and only large ones
 * become files of their own. Nothing is visible before {@link #commit}: the pack and the large
 * files are staged in a private directory, flushed, then renamed into place, the pack's index
 * last. Content already stored (loose or packed) is hashed and not written again.
 */
public final class ObjectBatch implements AutoCloseable {
  private final ContentStore loose;
  private final PackCatalog packs;
  private final Path staging;
  private final List<Staged> staged = new ArrayList<>();
  private final List<PackIndex.Slot> packed = new ArrayList<>();
  private final Set<Digest> seen = new HashSet<>();
  private final byte[] buffer = new byte[1 << 16];
  private final MessageDigest packDigest = Digest.newMessageDigest(Digest.SHA256);
  private OutputStream pack;
  private long packSize;
  private long stagedBytes;
  private long dedupedBytes;
  private boolean committed;

  private record Staged(Path file, Digest digest) {}

  ObjectBatch(ContentStore loose, PackCatalog packs, Path staging) {
    this.loose = loose;
    this.packs = packs;
    this.staging = staging;
  }

  /** Reads exactly {@code size} bytes from {@code in} and stores them; returns their sha256. */
  public Digest add(InputStream in, long size) throws IOException {
    if (size <= ObjectStore.PACK_LIMIT) {
      byte[] bytes = in.readNBytes((int) size);
      if (bytes.length != size) {
        throw new EOFException("content ended after " + bytes.length + " of " + size + " bytes");
      }
      Digest digest = Digest.sha256(bytes);
      if (isNew(digest, size)) {
        if (packs != null) {
          appendToPack(digest, bytes);
        } else {
          Path file = staging.resolve(Integer.toString(staged.size()));
          Files.write(file, bytes);
          staged.add(new Staged(file, digest));
        }
        stagedBytes += size;
      }
      return digest;
    }
    Path file = staging.resolve(Integer.toString(staged.size()));
    MessageDigest sha256 = Digest.newMessageDigest(Digest.SHA256);
    long remaining = size;
    try (OutputStream out = Files.newOutputStream(file)) {
      while (remaining > 0) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
        if (n < 0) {
          throw new EOFException("content ended after " + (size - remaining) + " of " + size + " bytes");
        }
        sha256.update(buffer, 0, n);
        out.write(buffer, 0, n);
        remaining -= n;
      }
    }
    Digest digest = Digest.fromRaw(Digest.SHA256, sha256.digest());
    if (isNew(digest, size)) {
      staged.add(new Staged(file, digest));
      stagedBytes += size;
    } else {
      Files.delete(file);
    }
    return digest;
  }

  private void appendToPack(Digest digest, byte[] bytes) throws IOException {
    if (pack == null) {
      pack = new BufferedOutputStream(Files.newOutputStream(staging.resolve("pack")), 1 << 16);
    }
    pack.write(bytes);
    packDigest.update(bytes);
    packed.add(new PackIndex.Slot(digest, packSize, bytes.length));
    packSize += bytes.length;
  }

  private boolean isNew(Digest digest, long size) {
    // The packs' indexes are in memory and hold most small contents: ask them before a stat.
    if (!seen.add(digest) || (packs != null && packs.find(digest) != null) || loose.contains(digest)) {
      dedupedBytes += size;
      return false;
    }
    return true;
  }

  /** Returns the bytes this batch writes (new content only). */
  public long stagedBytes() {
    return stagedBytes;
  }

  /** Returns the bytes that were already stored (or repeated in this batch) and not written. */
  public long dedupedBytes() {
    return dedupedBytes;
  }

  /** Returns how many new objects this batch writes. */
  public int stagedCount() {
    return staged.size() + packed.size();
  }

  /** Makes every staged object durable and visible. */
  public void commit() throws IOException {
    if (pack != null) {
      pack.close();
      pack = null;
      Path file = staging.resolve("pack");
      Durability.fsync(file);
      String name = Digest.fromRaw(Digest.SHA256, packDigest.digest()).hex();
      Files.createDirectories(packs.dir());
      Durability.moveIfAbsent(file, packs.dir().resolve(name + PackCatalog.PACK));
      Durability.fsyncDirectory(packs.dir());
      // The index goes last: a pack is visible only once its index is there.
      Durability.writeAtomically(packs.dir().resolve(name + PackCatalog.INDEX), staging, PackIndex.encode(packed));
      packs.refresh();
    }
    if (!staged.isEmpty()) {
      flush(staged.stream().map(Staged::file).toList());
      Set<Path> dirs = new HashSet<>();
      for (Staged s : staged) {
        if (loose.place(s.file, s.digest)) {
          dirs.add(loose.path(s.digest).getParent());
        }
      }
      // Renames are metadata only: make them durable before anything (a layer index) can
      // point at the objects.
      if (dirs.size() > 16) {
        Durability.syncFilesystem(loose.root());
      } else {
        for (Path d : dirs) {
          Durability.fsyncDirectory(d);
        }
      }
    }
    committed = true;
    close();
  }

  /** fsync for a few files, one syncfs for many (one costs about as much as the other). */
  private static void flush(List<Path> files) throws IOException {
    if (files.size() > 16) {
      Durability.syncFilesystem(files.get(0));
    } else {
      for (Path f : files) {
        Durability.fsync(f);
      }
    }
  }

  @Override
  public void close() throws IOException {
    if (pack != null) {
      pack.close();
      pack = null;
    }
    if (!Files.exists(staging)) {
      return;
    }
    try (Stream<Path> files = Files.list(staging)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(f);
      }
    }
    Files.deleteIfExists(staging);
    if (!committed) {
      staged.clear();
      packed.clear();
    }
  }
}
