package dev.strata.blob;

import dev.strata.digest.Digest;
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
 * <p>A layer holds thousands of small files; an fsync each would cost more than the rest of the
 * ingest. The batch stages new content in a private directory, flushes the filesystem once,
 * then renames every staged file into place and flushes again. A crash before {@link #commit}
 * leaves only the staging directory (cleaned by gc); a crash during it leaves only complete
 * files at their final names. Content already stored is hashed and not written again.
 */
public final class ObjectBatch implements AutoCloseable {
  /** Files up to this size are hashed in memory first, so a duplicate is never written. */
  private static final int IN_MEMORY_LIMIT = 1 << 20;

  private final ContentStore store;
  private final Path staging;
  private final List<Staged> staged = new ArrayList<>();
  private final Set<Digest> seen = new HashSet<>();
  private final byte[] buffer = new byte[1 << 16];
  private long stagedBytes;
  private long dedupedBytes;
  private boolean committed;

  private record Staged(Path file, Digest digest) {}

  ObjectBatch(ContentStore store, Path staging) {
    this.store = store;
    this.staging = staging;
  }

  /** Reads exactly {@code size} bytes from {@code in} and stores them; returns their sha256. */
  public Digest add(InputStream in, long size) throws IOException {
    if (size <= IN_MEMORY_LIMIT) {
      byte[] bytes = in.readNBytes((int) size);
      if (bytes.length != size) {
        throw new java.io.EOFException("content ended after " + bytes.length + " of " + size + " bytes");
      }
      Digest digest = Digest.sha256(bytes);
      if (isNew(digest, size)) {
        Path file = staging.resolve(Integer.toString(staged.size()));
        Files.write(file, bytes);
        staged.add(new Staged(file, digest));
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
          throw new java.io.EOFException("content ended after " + (size - remaining) + " of " + size + " bytes");
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

  private boolean isNew(Digest digest, long size) {
    if (!seen.add(digest) || store.contains(digest)) {
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
    return staged.size();
  }

  /** Makes every staged object durable and visible. */
  public void commit() throws IOException {
    if (!staged.isEmpty()) {
      Durability.syncFilesystem(staging);
      Set<Path> dirs = new HashSet<>();
      for (Staged s : staged) {
        if (store.place(s.file, s.digest)) {
          dirs.add(store.path(s.digest).getParent());
        }
      }
      // The renames are metadata only; one more flush makes them durable before anything (a
      // layer index) can point at them.
      if (!dirs.isEmpty()) {
        Durability.syncFilesystem(store.root());
      }
    }
    committed = true;
    close();
  }

  @Override
  public void close() throws IOException {
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
    }
  }
}
