package dev.strata.layer;

import dev.strata.blob.ObjectBatch;
import dev.strata.digest.Digest;
import dev.strata.digest.DigestingInputStream;
import dev.strata.host.Names;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

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
    InputStream stream = digesting != null ? digesting : limited;
    TarHeaderGuard guard = new TarHeaderGuard(stream, limits.maxHeaderBytes());
    try {
      // The library carries the data; every field of an entry is the guard's reading of the
      // raw headers (ISO-8859-1 only keeps the library from failing on names not UTF-8).
      TarArchiveInputStream reader = new TarArchiveInputStream(guard, StandardCharsets.ISO_8859_1.name());
      InputStream data = new TarLibraryErrors(reader, guard);
      TarArchiveEntry tarEntry;
      while ((tarEntry = nextEntry(reader, guard)) != null) {
        if (index.count() >= limits.maxEntries()) {
          throw new UnsafeLayerException("layer has more than " + limits.maxEntries() + " entries, the configured limit");
        }
        add(tarEntry, reader, data, guard.current());
      }
      // The DiffID covers the whole uncompressed stream, end-of-archive padding included; the
      // guard sees it too, for what may follow the end-of-archive blocks.
      guard.transferTo(OutputStreamHolder.NULL);
    } catch (UnsafeLayerException e) {
      throw e;
    } catch (java.util.zip.ZipException | java.io.EOFException e) {
      throw new UnsafeLayerException("truncated or corrupt layer stream: " + e.getMessage(), e);
    } catch (IOException e) {
      if (e.getClass().getName().startsWith("com.github.luben.zstd")) {
        throw new UnsafeLayerException("truncated or corrupt zstd stream: " + e.getMessage(), e);
      }
      if (e.getMessage() != null && e.getMessage().contains("Truncated")) {
        throw new UnsafeLayerException("truncated layer stream: " + guard.position() + ": " + e.getMessage(), e);
      }
      throw e;
    } catch (IllegalArgumentException e) {
      throw new UnsafeLayerException("corrupt tar stream: " + guard.position() + ": " + e.getMessage(), e);
    }
    diffId = ahead != null ? ahead.sha256AtEnd() : digesting.digest();
    size = ahead != null ? ahead.countAtEnd() : digesting.count();
  }

  /** Returns the tar library's next entry, what it refuses in its own words named as the guard names it. */
  private static TarArchiveEntry nextEntry(TarArchiveInputStream reader, TarHeaderGuard guard) throws IOException {
    try {
      return reader.getNextEntry();
    } catch (IOException | IllegalArgumentException e) {
      if (!guard.sourceFailed()) {
        // The library parses PAX records as they come: let the guard read the header whole and
        // refuse it in its words, if it would.
        guard.finishMetadata();
      }
      throw TarLibraryErrors.named(e, guard);
    }
  }

  private void add(TarArchiveEntry t, TarArchiveInputStream reader, InputStream data, TarEntryHeader h)
      throws IOException {
    if (h == null || h.type() != (char) (t.getLinkFlag() & 0xff)) {
      // Cannot happen while the guard follows the blocks as the library does; if it ever did,
      // the entry's fields and its data would come from different headers.
      throw new UnsafeLayerException("tar header " + (h == null ? "at the start" : h.where())
          + ": the tar library read another header there (type '" + (char) t.getLinkFlag() + "')");
    }
    String raw = h.name();
    String path = EntryNames.normalize(raw);
    // Duplicates, parents and hard-link targets need the other entries: the index's build checks
    // them once all are read (TreeWalk), naming the first entry in tar order that fails.
    EntryKind kind = EntryTypes.kindOf(h, path);
    long size = 0;
    Digest object = null;
    String link = null;
    LayerEntry below = null;
    switch (kind) {
      case FILE -> {
        if (!reader.canReadEntryData(t)) {
          throw UnsafeLayerException.entry(raw, "content cannot be read (unsupported sparse format)");
        }
        if (t.isSparse()) {
          List<long[]> pieces = new ArrayList<>();
          t.getSparseHeaders().forEach(p -> pieces.add(new long[] {p.getOffset(), p.getNumbytes()}));
          String problem = SparseMaps.problem(pieces, t.getRealSize());
          if (problem != null) {
            throw h.refused("its sparse map: " + problem);
          }
        } else if (t.getSize() != h.size()) {
          throw h.refused("the tar library reads its size as " + t.getSize() + " bytes, the headers say " + h.size());
        }
        size = t.isSparse() ? t.getRealSize() : h.size();
        object = objects.add(data, size);
      }
      case SYMLINK -> {
        link = h.link();
        if (link == null || link.isEmpty()) {
          throw UnsafeLayerException.entry(raw, "symlink without a target");
        }
        if (link.indexOf('\0') >= 0) {
          throw UnsafeLayerException.entry(raw, "symlink target contains a NUL byte");
        }
        if (Names.length(link) > Names.PATH_MAX - 1) {
          // symlink(2) answers ENAMETOOLONG: no Linux filesystem holds such a link.
          throw UnsafeLayerException.entry(raw, "symlink target of " + Names.length(link) + " bytes, longer than "
              + (Names.PATH_MAX - 1));
        }
      }
      case HARDLINK -> {
        link = EntryNames.normalizeLinkTarget(raw, h.link());
        // What the layers below hold there, in case no earlier entry of this layer does.
        below = link.isEmpty() ? null : lower.regularFile(link);
      }
      case WHITEOUT, OPAQUE -> {
        if (h.size() > 0) {
          // Content of a whiteout means nothing; read past it, do not store it.
          data.skip(h.size());
        }
      }
      default -> { }
    }
    boolean device = kind == EntryKind.CHAR_DEVICE || kind == EntryKind.BLOCK_DEVICE;
    LayerEntry entry = new LayerEntry(path, kind, h.mode() & 07777, h.uid(), h.gid(), h.uname(), h.gname(),
        h.mtimeSeconds(), h.mtimeNanos(), size, link, device ? h.devMajor() : 0, device ? h.devMinor() : 0,
        object, 0, PaxRecords.xattrs(h.records()));
    index.add(raw, entry, below);
  }

  /** Holder for a discarding stream. */
  private static final class OutputStreamHolder {
    static final java.io.OutputStream NULL = java.io.OutputStream.nullOutputStream();
  }
}
