package dev.strata.layer;

import com.google.common.collect.ImmutableList;
import dev.strata.blob.ObjectBatch;
import dev.strata.digest.Digest;
import dev.strata.digest.DigestingInputStream;
import dev.strata.host.Names;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
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

  private final List<LayerEntry> entries = new ArrayList<>();
  /** Every path seen so far in this layer, with the position of its entry. */
  private final Map<String, Integer> positions = new HashMap<>();
  /** Directories that earlier entries (other than whiteouts) lie in, listed or not. */
  private final java.util.Set<String> impliedDirs = new java.util.HashSet<>();
  /** Hard-link group of each link target path. */
  private final Map<String, Integer> groups = new HashMap<>();

  /** What an ingest found. */
  public record Result(Digest diffId, long uncompressedSize, ImmutableList<LayerEntry> entries) {}

  /** Where the bytes of each regular file go: a store's batch, or only a hash. */
  @FunctionalInterface
  public interface ContentSink {
    /** Reads exactly {@code size} bytes of {@code in}; returns their sha256. */
    Digest add(InputStream in, long size) throws IOException;
  }

  private LayerIngest(ContentSink objects, LowerFiles lower, IngestLimits limits) {
    this.objects = objects;
    this.lower = lower;
    this.limits = limits;
  }

  /**
   * Ingests the uncompressed tar {@code tar}, reading it to its end. Objects are staged in
   * {@code objects}; the caller commits the batch once the whole layer has been accepted.
   */
  public static Result ingest(InputStream tar, ObjectBatch objects, LowerFiles lower, IngestLimits limits)
      throws IOException {
    return new LayerIngest(objects::add, lower, limits).run(tar);
  }

  /**
   * Reads the uncompressed tar {@code tar} as {@link #ingest(InputStream, ObjectBatch, LowerFiles,
   * IngestLimits)} does, giving each regular file's bytes to {@code contents} instead of a store.
   */
  public static Result ingest(InputStream tar, ContentSink contents, LowerFiles lower, IngestLimits limits)
      throws IOException {
    return new LayerIngest(contents, lower, limits).run(tar);
  }

  private Result run(InputStream tar) throws IOException {
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
        if (entries.size() >= limits.maxEntries()) {
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
    if (ahead != null) {
      return new Result(ahead.sha256AtEnd(), ahead.countAtEnd(), ImmutableList.copyOf(entries));
    }
    return new Result(digesting.digest(), digesting.count(), ImmutableList.copyOf(entries));
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
    if (positions.containsKey(path)) {
      throw UnsafeLayerException.entry(raw, "duplicate entry for path '" + UnsafeLayerException.printable(path) + "'");
    }
    EntryKind kind = EntryTypes.kindOf(h, path);
    checkParents(raw, path, kind.isWhiteout());
    if (!kind.isWhiteout()) {
      if (kind != EntryKind.DIRECTORY && impliedDirs.contains(path)) {
        // Either order of "a/x" and "a -> /elsewhere" must be refused, not only the one where
        // the symlink comes first.
        throw UnsafeLayerException.entry(raw, "a " + kind.name().toLowerCase().replace('_', ' ')
            + " replaces the directory that earlier entries of this layer are in");
      }
      for (String p = Paths.parent(path); !p.isEmpty() && impliedDirs.add(p); p = Paths.parent(p)) {
        // each ancestor once; stop at the first one already known
      }
    }
    long size = 0;
    Digest object = null;
    String link = null;
    int group = 0;
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
        checkParents(raw, link, false);
        LayerEntry target = linkTarget(raw, link);
        object = target.object();
        size = target.size();
        Integer at = positions.get(link);
        if (at != null && entries.get(at).linkGroup() != 0) {
          // The target is itself a name of a linked inode (a link to a link): join its group.
          group = entries.get(at).linkGroup();
        } else {
          group = groups.computeIfAbsent(link, k -> groups.size() + 1);
          if (at != null) {
            entries.set(at, withGroup(entries.get(at), group));
          }
        }
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
        object, group, PaxRecords.xattrs(h.records()));
    positions.put(path, entries.size());
    entries.add(entry);
  }

  /**
   * Refuses an entry whose parent is, in this layer, a symlink (writing through it could leave
   * the root) or, unless it is a whiteout, some other non-directory.
   */
  private void checkParents(String raw, String path, boolean whiteout) throws UnsafeLayerException {
    int slash = path.indexOf('/');
    while (slash > 0) {
      Integer at = positions.get(path.substring(0, slash));
      if (at != null) {
        EntryKind k = entries.get(at).kind();
        if (k == EntryKind.SYMLINK) {
          throw UnsafeLayerException.entry(raw, "goes through the symlink '"
              + UnsafeLayerException.printable(path.substring(0, slash)) + "' of the same layer");
        }
        // umoci writes the whiteouts of a directory's old children after the file that replaced
        // it; they delete nothing new, and refusing them would refuse umoci's own images.
        if (k != EntryKind.DIRECTORY && !whiteout) {
          throw UnsafeLayerException.entry(raw, "parent '" + UnsafeLayerException.printable(path.substring(0, slash))
              + "' is not a directory");
        }
      }
      slash = path.indexOf('/', slash + 1);
    }
  }

  private LayerEntry linkTarget(String raw, String link) throws UnsafeLayerException {
    if (link.isEmpty()) {
      throw UnsafeLayerException.entry(raw, "hard link to the root");
    }
    Integer at = positions.get(link);
    if (at != null) {
      LayerEntry target = entries.get(at);
      if (target.kind() != EntryKind.FILE && target.kind() != EntryKind.HARDLINK) {
        throw UnsafeLayerException.entry(raw, "hard link to '" + UnsafeLayerException.printable(link) + "', which is a "
            + target.kind().name().toLowerCase());
      }
      return target;
    }
    LayerEntry below = lower.regularFile(link);
    if (below == null) {
      throw UnsafeLayerException.entry(raw, "hard link to '" + UnsafeLayerException.printable(link)
          + "', which no earlier entry or lower layer holds");
    }
    return below;
  }

  private static LayerEntry withGroup(LayerEntry e, int group) {
    return new LayerEntry(e.path(), e.kind(), e.mode(), e.uid(), e.gid(), e.uname(), e.gname(), e.mtimeSeconds(),
        e.mtimeNanos(), e.size(), e.linkTarget(), e.devMajor(), e.devMinor(), e.object(), group, e.xattrs());
  }

  /** Holder for a discarding stream. */
  private static final class OutputStreamHolder {
    static final java.io.OutputStream NULL = java.io.OutputStream.nullOutputStream();
  }
}
