package dev.strata.layer;

import dev.strata.host.Names;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads an uncompressed tar entry by entry with Strata's one reading of its headers
 * ({@link TarHeaderGuard}): every name normalized and checked ({@link EntryNames}), every kind
 * decided ({@link EntryTypes}), symlink and hard-link targets and sparse maps checked. A layer's
 * ingest reads its tar so, and so does anything else that takes a tar it did not write (a
 * volume's backup): what it refuses is an {@link UnsafeLayerException} naming the entry.
 *
 * <p>It checks each entry alone. What needs the other entries (duplicates, parents, what a hard
 * link points at) is its caller's to check.
 */
public final class TarEntries {
  private final TarHeaderGuard guard;
  private final TarArchiveInputStream reader;
  private final InputStream data;
  private final boolean whiteouts;
  private String raw;

  /**
   * Reads {@code tar}, holding at most {@code maxHeaderBytes} of one PAX or long-name header in
   * memory. With {@code whiteouts}, names {@code .wh.*} are a layer's deletions, as the OCI image
   * spec reads them; without, they are files like any other (a volume's data).
   */
  public TarEntries(InputStream tar, int maxHeaderBytes, boolean whiteouts) {
    this.guard = new TarHeaderGuard(tar, maxHeaderBytes);
    // The library carries the data; every field of an entry is the guard's reading of the raw
    // headers (ISO-8859-1 only keeps the library from failing on names not UTF-8).
    this.reader = new TarArchiveInputStream(guard, StandardCharsets.ISO_8859_1.name());
    this.data = new TarLibraryErrors(reader, guard);
    this.whiteouts = whiteouts;
  }

  /**
   * Returns the next entry, or null after the last: its path normalized, a hard link's target
   * normalized as a path of the tar, a regular file's size its real size (a sparse file's
   * holes included), its object null.
   */
  public LayerEntry next() throws IOException {
    TarArchiveEntry t = nextEntry();
    if (t == null) {
      raw = null;
      return null;
    }
    TarEntryHeader h = guard.current();
    if (h == null || h.type() != (char) (t.getLinkFlag() & 0xff)) {
      // Cannot happen while the guard follows the blocks as the library does; if it ever did,
      // the entry's fields and its data would come from different headers.
      throw new UnsafeLayerException("tar header " + (h == null ? "at the start" : h.where())
          + ": the tar library read another header there (type '" + (char) t.getLinkFlag() + "')");
    }
    raw = h.name();
    String path = EntryNames.normalize(raw);
    EntryKind kind = EntryTypes.kindOf(h, path, whiteouts);
    long size = 0;
    String link = null;
    switch (kind) {
      case FILE -> size = fileSize(t, h);
      case SYMLINK -> link = symlinkTarget(h);
      case HARDLINK -> link = EntryNames.normalizeLinkTarget(raw, h.link());
      case WHITEOUT, OPAQUE -> {
        if (h.size() > 0) {
          // Content of a whiteout means nothing; read past it.
          data.skip(h.size());
        }
      }
      default -> { }
    }
    boolean device = kind == EntryKind.CHAR_DEVICE || kind == EntryKind.BLOCK_DEVICE;
    return new LayerEntry(path, kind, h.mode() & 07777, h.uid(), h.gid(), h.uname(), h.gname(), h.mtimeSeconds(),
        h.mtimeNanos(), size, link, device ? h.devMajor() : 0, device ? h.devMinor() : 0, null, 0,
        PaxRecords.xattrs(h.records()));
  }

  /** Returns the name of the entry {@link #next} returned last, as its headers hold it. */
  public String rawName() {
    return raw;
  }

  /** Returns the content of the entry {@link #next} returned last: a regular file's size in bytes. */
  public InputStream data() {
    return data;
  }

  /**
   * Reads what follows the last entry (the end-of-archive blocks, padding), which the guard
   * checks too: nothing but zeros may follow the end of the archive.
   */
  public void finish() throws IOException {
    guard.transferTo(OutputStream.nullOutputStream());
  }

  /**
   * Returns {@code e}, a failure while this tar was read, as the tar's refusal when the tar is
   * to blame (cut short, corrupt), naming where it was; any other failure as it is.
   */
  public IOException explain(Exception e) {
    if (e instanceof UnsafeLayerException u) {
      return u;
    }
    if (e instanceof ZipException || e instanceof EOFException) {
      return new UnsafeLayerException("truncated or corrupt layer stream: " + e.getMessage(), e);
    }
    if (e instanceof IOException io) {
      if (e.getClass().getName().startsWith("com.github.luben.zstd")) {
        return new UnsafeLayerException("truncated or corrupt zstd stream: " + e.getMessage(), e);
      }
      if (e.getMessage() != null && e.getMessage().contains("Truncated")) {
        return new UnsafeLayerException("truncated layer stream: " + guard.position() + ": " + e.getMessage(), e);
      }
      return io;
    }
    if (e instanceof IllegalArgumentException) {
      return new UnsafeLayerException("corrupt tar stream: " + guard.position() + ": " + e.getMessage(), e);
    }
    if (e instanceof RuntimeException r) {
      throw r;
    }
    return new IOException(e);
  }

  /** Returns the tar library's next entry, what it refuses in its own words named as the guard names it. */
  private TarArchiveEntry nextEntry() throws IOException {
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

  private long fileSize(TarArchiveEntry t, TarEntryHeader h) throws UnsafeLayerException {
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
      return t.getRealSize();
    }
    if (t.getSize() != h.size()) {
      throw h.refused("the tar library reads its size as " + t.getSize() + " bytes, the headers say " + h.size());
    }
    return h.size();
  }

  private String symlinkTarget(TarEntryHeader h) throws UnsafeLayerException {
    String link = h.link();
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
    return link;
  }
}
