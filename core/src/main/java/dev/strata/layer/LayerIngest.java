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
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

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
      // ISO-8859-1: one char per byte, so a name from a ustar or GNU header keeps its bytes (see
      // text()); PAX values are taken from the raw header the guard keeps.
      TarArchiveInputStream reader = new TarArchiveInputStream(guard, StandardCharsets.ISO_8859_1.name());
      TarArchiveEntry tarEntry;
      while ((tarEntry = reader.getNextEntry()) != null) {
        if (index.count() >= limits.maxEntries()) {
          throw new UnsafeLayerException("layer has more than " + limits.maxEntries() + " entries, the configured limit");
        }
        add(tarEntry, reader, guard.currentRecords());
      }
      // The DiffID covers the whole uncompressed stream, end-of-archive padding included.
      stream.transferTo(OutputStreamHolder.NULL);
    } catch (UnsafeLayerException e) {
      throw e;
    } catch (java.util.zip.ZipException | java.io.EOFException e) {
      throw new UnsafeLayerException("truncated or corrupt layer stream: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new UnsafeLayerException("corrupt tar stream: " + e.getMessage(), e);
    } catch (IOException e) {
      if (e.getClass().getName().startsWith("com.github.luben.zstd")) {
        throw new UnsafeLayerException("truncated or corrupt zstd stream: " + e.getMessage(), e);
      }
      if (e.getMessage() != null && e.getMessage().contains("Truncated")) {
        throw new UnsafeLayerException("truncated layer stream: " + e.getMessage(), e);
      }
      throw e;
    }
    diffId = ahead != null ? ahead.sha256AtEnd() : digesting.digest();
    size = ahead != null ? ahead.countAtEnd() : digesting.count();
  }

  private void add(TarArchiveEntry t, TarArchiveInputStream reader, Map<String, byte[]> records) throws IOException {
    // A sparse file of PAX format 0.1 or 1.0 has a made-up path; its name is GNU.sparse.name.
    String raw = text(records, records.containsKey("GNU.sparse.name") ? "GNU.sparse.name" : "path", t.getName());
    String path = EntryNames.normalize(raw);
    // Duplicates, parents and hard-link targets need the other entries: the index's build checks
    // them once all are read (TreeWalk), naming the first entry in tar order that fails.
    EntryKind kind = kindOf(t, raw, path);
    long size = 0;
    Digest object = null;
    String link = null;
    LayerEntry below = null;
    switch (kind) {
      case FILE -> {
        if (!reader.canReadEntryData(t)) {
          throw UnsafeLayerException.entry(raw, "content cannot be read (unsupported sparse format)");
        }
        size = t.isSparse() ? t.getRealSize() : t.getSize();
        object = objects.add(reader, size);
      }
      case SYMLINK -> {
        link = text(records, "linkpath", t.getLinkName());
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
        link = EntryNames.normalizeLinkTarget(raw, text(records, "linkpath", t.getLinkName()));
        // What the layers below hold there, in case no earlier entry of this layer does.
        below = link.isEmpty() ? null : lower.regularFile(link);
      }
      case WHITEOUT, OPAQUE -> {
        if (t.getSize() > 0) {
          // Content of a whiteout means nothing; read past it, do not store it.
          reader.skip(t.getSize());
        }
      }
      default -> { }
    }
    FileTime mtime = t.getLastModifiedTime();
    Instant instant = mtime == null ? Instant.EPOCH : mtime.toInstant();
    LayerEntry entry = new LayerEntry(path, kind, t.getMode() & 07777, t.getLongUserId(), t.getLongGroupId(),
        text(records, "uname", t.getUserName()), text(records, "gname", t.getGroupName()), instant.getEpochSecond(), instant.getNano(), size, link,
        (kind == EntryKind.CHAR_DEVICE || kind == EntryKind.BLOCK_DEVICE) ? t.getDevMajor() : 0,
        (kind == EntryKind.CHAR_DEVICE || kind == EntryKind.BLOCK_DEVICE) ? t.getDevMinor() : 0,
        object, 0, PaxRecords.xattrs(records));
    index.add(raw, entry, below);
  }

  private static EntryKind kindOf(TarArchiveEntry t, String raw, String path) throws UnsafeLayerException {
    String name = Paths.name(path);
    if (name.startsWith(LayerEntry.WHITEOUT_PREFIX)) {
      if (isDirectory(t, raw)) {
        throw UnsafeLayerException.entry(raw, "a whiteout must not be a directory");
      }
      if (name.equals(LayerEntry.OPAQUE_MARKER)) {
        return EntryKind.OPAQUE;
      }
      String target = name.substring(LayerEntry.WHITEOUT_PREFIX.length());
      if (target.isEmpty()) {
        throw UnsafeLayerException.entry(raw, "whiteout names no file ('.wh.' alone)");
      }
      if (target.equals(".") || target.equals("..")) {
        throw UnsafeLayerException.entry(raw, "whiteout of '" + target + "'");
      }
      if (target.startsWith(LayerEntry.WHITEOUT_PREFIX)) {
        throw UnsafeLayerException.entry(raw, "unsupported AUFS metadata entry");
      }
      return EntryKind.WHITEOUT;
    }
    boolean directory = isDirectory(t, raw);
    if (path.isEmpty() && !directory) {
      throw UnsafeLayerException.entry(raw, "the layer root must be a directory");
    }
    if (directory) {
      return EntryKind.DIRECTORY;
    }
    if (t.isSymbolicLink()) {
      return EntryKind.SYMLINK;
    }
    if (t.isLink()) {
      return EntryKind.HARDLINK;
    }
    if (t.isCharacterDevice()) {
      return EntryKind.CHAR_DEVICE;
    }
    if (t.isBlockDevice()) {
      return EntryKind.BLOCK_DEVICE;
    }
    if (t.isFIFO()) {
      return EntryKind.FIFO;
    }
    // The tar library calls every type it does not know a file (volume labels, multi-volume
    // continuations, dump directories); only the types that really hold a file's bytes are one.
    byte type = t.getLinkFlag();
    if (type == TarConstants.LF_NORMAL || type == TarConstants.LF_OLDNORM || type == TarConstants.LF_CONTIG
        || type == TarConstants.LF_GNUTYPE_SPARSE) {
      return EntryKind.FILE;
    }
    throw UnsafeLayerException.entry(raw, "unsupported tar entry type '"
        + UnsafeLayerException.printable(Names.decode(new byte[] {type})) + "'");
  }

  /**
   * Whether an entry is a directory, as its type says: type '5', or a regular-file type with a
   * name ending in '/' and no bytes (the old BSD convention GNU tar and Python's tarfile keep).
   * The tar library calls every entry whose name ends in '/' a directory and reads its bytes as
   * the next headers, where GNU tar, tarfile and umoci skip them as a file's content: such an
   * entry with bytes would make Strata see other files than every other tool, so it is refused.
   */
  private static boolean isDirectory(TarArchiveEntry t, String raw) throws UnsafeLayerException {
    byte type = t.getLinkFlag();
    if (type == TarConstants.LF_DIR) {
      return true;
    }
    boolean slash = t.getName().endsWith("/");
    boolean fileType = type == TarConstants.LF_NORMAL || type == TarConstants.LF_OLDNORM || type == TarConstants.LF_CONTIG;
    if (slash && fileType) {
      if (t.getSize() != 0) {
        throw UnsafeLayerException.entry(raw, "a file (type '" + (type == 0 ? "\\0" : String.valueOf((char) type))
            + "') whose name ends in '/' holds " + t.getSize() + " bytes: GNU tar and umoci read them as its"
            + " content, a reader that takes the name for a directory as more entries");
      }
      return true;
    }
    if (slash && !t.isPaxHeader() && !t.isGlobalPaxHeader() && !t.isGNULongNameEntry() && !t.isGNULongLinkEntry()) {
      throw UnsafeLayerException.entry(raw, "an entry of type '" + UnsafeLayerException.printable(Names.decode(new byte[] {type}))
          + "' whose name ends in '/'");
    }
    return false;
  }

  /**
   * Returns a name-like field of the entry as {@link Names} carries it: the PAX record's raw
   * bytes if there is one (POSIX makes them UTF-8 unless {@code hdrcharset=BINARY}; either way
   * the bytes are the name, as GNU tar and Go's archive/tar keep them), else the header's
   * bytes, which the tar library gave as ISO-8859-1 chars.
   */
  private static String text(Map<String, byte[]> records, String key, String fromHeader) {
    byte[] pax = records.get(key);
    if (pax != null) {
      return Names.decode(pax);
    }
    return fromHeader == null ? null : Names.decode(fromHeader.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Holder for a discarding stream. */
  private static final class OutputStreamHolder {
    static final java.io.OutputStream NULL = java.io.OutputStream.nullOutputStream();
  }
}
