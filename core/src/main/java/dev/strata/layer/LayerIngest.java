package dev.strata.layer;

import dev.strata.blob.ObjectBatch;
import dev.strata.digest.Digest;
import dev.strata.digest.DigestingInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads one layer's uncompressed tar stream once: checks every entry, stores every regular
 * file's bytes as a content-addressed object, computes the DiffID, and returns the entries for
 * the layer's index. Nothing is created on the host but objects, so device nodes, owners and
 * modes are metadata only and a symlink in a layer is never followed.
 */
public final class LayerIngest {
  private final ContentSink objects;
  private final LowerFiles lower;
  private final IngestLimits limits;

  private final IndexBuilder index;
  private Digest diffId;
  private long size;

  /**
   * What an ingest found: the DiffID, the tar's size and the layer's index. The index is read
   * from {@code indexFile} where the caller asked to keep it (to move it into a store), else from
   * a scratch file already removed.
   */
  public record Result(Digest diffId, long uncompressedSize, LayerIndex index, Path indexFile) {
    /** Returns the entries in tar order (a view that decodes each when read). */
    public List<LayerEntry> entries() {
      return index.entries();
    }
  }

  /** Where the bytes of each regular file go: a store's batch, or only a hash. */
  @FunctionalInterface
  public interface ContentSink {
    /** Reads exactly {@code size} bytes of {@code in}; returns their sha256. */
    Digest add(InputStream in, long size) throws IOException;
  }

  private LayerIngest(ContentSink objects, LowerFiles lower, IngestLimits limits, IndexBuilder index) {
    this.objects = objects;
    this.lower = lower;
    this.limits = limits;
    this.index = index;
  }

  /**
   * Ingests the uncompressed tar {@code tar}, reading it to its end. Objects are staged in
   * {@code objects}; the caller commits the batch once the whole layer has been accepted.
   */
  public static Result ingest(InputStream tar, ObjectBatch objects, LowerFiles lower, IngestLimits limits)
      throws IOException {
    return ingest(tar, objects::add, lower, limits, null);
  }

  /**
   * Ingests as {@link #ingest(InputStream, ObjectBatch, LowerFiles, IngestLimits)} does, with the
   * index's file and the build's scratch files in {@code scratch}: the result's
   * {@link Result#indexFile()} is for the caller to move into place or delete.
   */
  public static Result ingest(InputStream tar, ObjectBatch objects, LowerFiles lower, IngestLimits limits,
      Path scratch) throws IOException {
    return ingest(tar, objects::add, lower, limits, scratch);
  }

  /**
   * Reads the uncompressed tar {@code tar} as {@link #ingest(InputStream, ObjectBatch, LowerFiles,
   * IngestLimits)} does, giving each regular file's bytes to {@code contents} instead of a store.
   */
  public static Result ingest(InputStream tar, ContentSink contents, LowerFiles lower, IngestLimits limits)
      throws IOException {
    return ingest(tar, contents, lower, limits, null);
  }

  private static Result ingest(InputStream tar, ContentSink contents, LowerFiles lower, IngestLimits limits,
      Path scratch) throws IOException {
    Path dir = scratch != null ? scratch : Path.of(System.getProperty("java.io.tmpdir"));
    try (IndexBuilder index = new IndexBuilder(dir)) {
      LayerIngest ingest = new LayerIngest(contents, lower, limits, index);
      ingest.run(tar);
      Path file = index.finish(ingest.diffId, ingest.size, dir);
      LayerIndex opened;
      try {
        opened = LayerIndex.open(file);
      } finally {
        if (scratch == null) {
          // The mapping keeps the bytes for as long as the index is used; the name can go now.
          Files.deleteIfExists(file);
        }
      }
      return new Result(ingest.diffId, ingest.size, opened, scratch == null ? null : file);
    }
  }

  private void run(InputStream tar) throws IOException {
    // A read-ahead stream that hashes on its own thread gives the DiffID; any other is hashed here.
    ReadAheadInputStream ahead = tar instanceof ReadAheadInputStream r && r.digests() ? r : null;
    InputStream limited = new LimitedInputStream(tar, limits.maxUncompressedBytes());
    DigestingInputStream digesting = ahead == null ? DigestingInputStream.sha256(limited) : null;
    TarEntries entries = new TarEntries(digesting != null ? digesting : limited, limits.maxHeaderBytes(), true);
    try {
      LayerEntry entry;
      while ((entry = entries.next()) != null) {
        if (index.count() >= limits.maxEntries()) {
          throw new UnsafeLayerException("layer has more than " + limits.maxEntries() + " entries, the configured limit");
        }
        add(entry, entries);
      }
      // The DiffID covers the whole uncompressed stream, end-of-archive padding included.
      entries.finish();
    } catch (IOException | IllegalArgumentException e) {
      throw entries.explain(e);
    }
    diffId = ahead != null ? ahead.sha256AtEnd() : digesting.digest();
    size = ahead != null ? ahead.countAtEnd() : digesting.count();
  }

  private void add(LayerEntry read, TarEntries entries) throws IOException {
    // Duplicates, parents and hard-link targets need the other entries: the index's build checks
    // them once all are read (TreeWalk), naming the first entry in tar order that fails.
    LayerEntry entry = read;
    LayerEntry below = null;
    if (read.kind() == EntryKind.FILE) {
      Digest object = objects.add(entries.data(), read.size());
      entry = new LayerEntry(read.path(), read.kind(), read.mode(), read.uid(), read.gid(), read.uname(), read.gname(),
          read.mtimeSeconds(), read.mtimeNanos(), read.size(), null, 0, 0, object, 0, read.xattrs());
    } else if (read.kind() == EntryKind.HARDLINK && !read.linkTarget().isEmpty()) {
      // What the layers below hold there, in case no earlier entry of this layer does.
      below = lower.regularFile(read.linkTarget());
    }
    index.add(entries.rawName(), entry, below);
  }
}
