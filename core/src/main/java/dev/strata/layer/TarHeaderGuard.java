package dev.strata.layer;

import dev.strata.digest.Streams;
import dev.strata.host.Names;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Strata's one reading of a tar's structure: watches the 512-byte blocks that pass under the
 * tar library, decodes every header ({@link TarHeader}), applies the GNU long names and PAX
 * records to the entry they precede and keeps the result ({@link #current}), from which every
 * field of an entry is taken. The tar library below only carries the data; where it would read
 * the blocks otherwise than GNU tar, or where GNU tar, Python's tarfile and Go's archive/tar
 * read them otherwise than each other, the layer is refused here, naming the entry (or the
 * header's byte offset) and the field:
 *
 * <ul>
 *   <li>a header whose checksum or any number is not one every reader reads the same;
 *   <li>PAX data that is not records end to end, or a size, owner or time record that is not a
 *       number in range; an empty path, link path or size;
 *   <li>two PAX headers, or two long names, for one entry; a long name and a PAX path together
 *       (GNU tar takes the path, tarfile the long name); metadata headers with no entry after;
 *   <li>a size on a hard link, symlink, device, directory or fifo: GNU tar skips that data after
 *       a symlink, device or fifo and reads it as headers after a hard link or directory,
 *       tarfile reads it as headers after all five, the tar library skips it after all but a
 *       directory;
 *   <li>a non-zero block after the first end-of-archive block (GNU tar and tarfile stop there,
 *       Go refuses), and a stream that ends inside a header or an entry's data.
 * </ul>
 *
 * <p>It also bounds what the library reads whole into memory (PAX and long-name headers) and
 * keeps PAX values as raw bytes, which the library decodes as UTF-8.
 */
final class TarHeaderGuard extends FilterInputStream {
  private static final int BLOCK = 512;

  private final int maxHeaderBytes;
  private final byte[] header = new byte[BLOCK];
  private int headerFill;
  /** Bytes of the stream seen so far. */
  private long offset;
  /** Bytes of data (plus padding) to pass before the next header block. */
  private long skip;
  /** Extended sparse header blocks still to pass (old GNU sparse format). */
  private boolean sparseExtension;
  /** Zero blocks seen: one ends the archive, and the next block must be zero too; after two, nothing is read. */
  private int zeroBlocks;
  private long firstZeroAt;

  /** The metadata header whose data is being captured, and its data so far. */
  private TarHeader capturing;
  private ByteArrayOutputStream capture;
  /** The first metadata header since the last entry, for a message if no entry follows. */
  private TarHeader pendingSince;
  private Map<String, byte[]> pendingPax;
  private String longName;
  private String longLink;
  /** The records of every global header so far, a later record of a key replacing an earlier one. */
  private final Map<String, byte[]> global = new LinkedHashMap<>();
  private long globalBytes;
  private TarEntryHeader current;
  /** Whether the stream below failed: such an error is the reader's, not the layer's. */
  private boolean sourceFailed;

  TarHeaderGuard(InputStream in, int maxHeaderBytes) {
    super(in);
    this.maxHeaderBytes = maxHeaderBytes;
  }

  /** Returns what the headers said of the entry whose header passed last; null before the first. */
  TarEntryHeader current() {
    return current;
  }

  /** Returns whether a read of the stream below this guard has failed. */
  boolean sourceFailed() {
    return sourceFailed;
  }

  /**
   * Names where the tar library was when it failed: the metadata header whose data it was
   * reading, else the entry whose header passed last, else the byte.
   */
  String position() {
    if (capturing != null) {
      return TarHeader.where(null, capturing.at()) + " ('" + capturing.type() + "')";
    }
    return current != null ? current.where() : "tar stream at byte " + offset;
  }

  /**
   * Reads the rest of a metadata header's data that the tar library stopped reading in the
   * middle of (it parses PAX records as they come and fails at the first it cannot read), so
   * that the layer is refused with this reading's words for the whole header.
   */
  void finishMetadata() throws IOException {
    byte[] buffer = new byte[BLOCK];
    while (capture != null && read(buffer, 0, (int) Math.min(skip, BLOCK)) > 0) {
      // each block passes through observe(), which parses the header once it is whole
    }
  }

  @Override
  public int read() throws IOException {
    int b = source(() -> in.read());
    if (b >= 0) {
      observe(new byte[] {(byte) b}, 0, 1);
    } else {
      checkEnd();
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = source(() -> in.read(b, off, len));
    if (n > 0) {
      observe(b, off, n);
    } else if (n < 0) {
      checkEnd();
    }
    return n;
  }

  /** A read of the stream below. */
  @FunctionalInterface
  private interface SourceRead {
    int read() throws IOException;
  }

  private int source(SourceRead read) throws IOException {
    try {
      return read.read();
    } catch (IOException e) {
      sourceFailed = true;
      throw e;
    }
  }

  @Override
  public long skip(long n) throws IOException {
    // Skipping is reading here: every byte must be seen to keep the block structure.
    return Streams.skipByReading(this, n);
  }

  /**
   * Refuses a stream that ends inside a header block or an entry's data: the tar library takes a
   * short last record for the end of the archive and would accept the truncated layer. A stream
   * that ends between entries without the end-of-archive blocks is accepted, as every reader
   * does, and so are zeros short of a block after the first end-of-archive block.
   */
  private void checkEnd() throws IOException {
    if (zeroBlocks >= 2) {
      return;
    }
    if (skip > 0) {
      String what = capturing != null ? TarHeader.where(null, capturing.at()) + " ('" + capturing.type() + "')"
          : current.where();
      throw new EOFException(what + ": the stream ends inside its data, at byte " + offset + " (truncated)");
    }
    if (headerFill > 0 && !(zeroBlocks == 1 && isZero(header, headerFill))) {
      throw new EOFException("tar header at byte " + (offset - headerFill) + ": the stream ends inside it, "
          + headerFill + " bytes into the block (truncated)");
    }
    if (pendingSince != null) {
      throw noEntryAfter();
    }
  }

  private void observe(byte[] b, int off, int len) throws IOException {
    offset += len;
    while (len > 0 && zeroBlocks < 2) {
      if (skip > 0) {
        int n = (int) Math.min(skip, len);
        if (capture != null) {
          int c = (int) Math.min(capturing.size() - capture.size(), n);
          capture.write(b, off, c);
        }
        skip -= n;
        off += n;
        len -= n;
        if (skip == 0 && capture != null) {
          captured();
        }
        continue;
      }
      int n = Math.min(BLOCK - headerFill, len);
      System.arraycopy(b, off, header, headerFill, n);
      headerFill += n;
      off += n;
      len -= n;
      if (headerFill == BLOCK) {
        headerFill = 0;
        onBlock(offset - len - BLOCK);
      }
    }
  }

  private void onBlock(long at) throws IOException {
    if (sparseExtension) {
      sparseExtension = header[504] != 0;
      return;
    }
    if (isZero(header, BLOCK)) {
      if (pendingSince != null) {
        throw noEntryAfter();
      }
      if (++zeroBlocks == 1) {
        firstZeroAt = at;
      }
      return;
    }
    if (zeroBlocks == 1) {
      throw new UnsafeLayerException("tar block at byte " + at + ": not zero, after the end-of-archive block at byte "
          + firstZeroAt + " (GNU tar and Python's tarfile stop reading at the first zero block, Go's archive/tar"
          + " refuses what follows it)");
    }
    TarHeader h = TarHeader.parse(header, at, longName);
    if (h.isMetadata()) {
      onMetadata(h);
      return;
    }
    current = entry(h);
    pendingSince = null;
    if (h.type() == 'S' && header[482] != 0) {
      sparseExtension = true;
    }
    skip = padded(current.size());
  }

  /** A PAX or GNU long-name header: its data describes the next entry (or, 'g', every later one). */
  private void onMetadata(TarHeader h) throws UnsafeLayerException {
    if (h.size() > maxHeaderBytes) {
      throw new UnsafeLayerException(TarHeader.where(null, h.at()) + ": a tar '" + h.type() + "' header of " + h.size()
          + " bytes exceeds the limit of " + maxHeaderBytes + " bytes");
    }
    boolean local = h.type() == 'x' || h.type() == 'X';
    if (local && pendingPax != null) {
      // Readers disagree on which of two such headers wins; no tar writer makes them.
      throw new UnsafeLayerException(TarHeader.where(null, h.at()) + ": two PAX headers for one tar entry");
    }
    if ((h.type() == 'L' && longName != null) || (h.type() == 'K' && longLink != null)) {
      // GNU tar takes the last, Python's tarfile and the tar library the first.
      throw new UnsafeLayerException(TarHeader.where(null, h.at()) + ": two GNU long " + (h.type() == 'L' ? "names"
          : "link names") + " ('" + h.type() + "' headers) for one tar entry");
    }
    if (pendingSince == null && h.type() != 'g') {
      pendingSince = h;
    }
    capturing = h;
    capture = new ByteArrayOutputStream((int) h.size());
    skip = padded(h.size());
    if (h.size() == 0) {
      captured();
    }
  }

  /** Takes the data of a metadata header that has passed whole. */
  private void captured() throws UnsafeLayerException {
    TarHeader h = capturing;
    byte[] body = capture.toByteArray();
    capturing = null;
    capture = null;
    switch (h.type()) {
      case 'L' -> longName = longName(h, body);
      case 'K' -> longLink = longName(h, body);
      case 'g' -> {
        globalBytes += body.length;
        if (globalBytes > maxHeaderBytes) {
          throw new UnsafeLayerException("global PAX headers of more than " + maxHeaderBytes + " bytes in all");
        }
        Map<String, byte[]> records = PaxRecords.parse(body, h.at());
        SparseMaps.checkRecords(records, TarHeader.where(null, h.at()));
        if (records.containsKey("size")) {
          throw new UnsafeLayerException(TarHeader.where(null, h.at()) + ": a global PAX header sets the size of every entry");
        }
        global.putAll(records);
      }
      default -> {
        pendingPax = PaxRecords.parse(body, h.at());
        byte[] name = pendingPax.containsKey("GNU.sparse.name") ? pendingPax.get("GNU.sparse.name")
            : pendingPax.get("path");
        SparseMaps.checkRecords(pendingPax, TarHeader.where(name == null ? null : Names.decode(name), h.at()));
      }
    }
  }

  /**
   * The name a GNU long-name header holds: its bytes up to the NUL that ends it. GNU tar and
   * tarfile stop at the first NUL, the tar library at the last: bytes between them are refused.
   */
  private static String longName(TarHeader h, byte[] body) throws UnsafeLayerException {
    int nul = 0;
    while (nul < body.length && body[nul] != 0) {
      nul++;
    }
    for (int i = nul; i < body.length; i++) {
      if (body[i] != 0) {
        throw new UnsafeLayerException(TarHeader.where(null, h.at()) + ": a GNU long name ('" + h.type()
            + "') with bytes after its NUL");
      }
    }
    if (nul == 0) {
      throw new UnsafeLayerException(TarHeader.where(null, h.at()) + ": an empty GNU long name ('" + h.type() + "')");
    }
    return Names.decode(body, 0, nul);
  }

  /** The entry whose header is {@code h}, with the long names and PAX records before it applied. */
  private TarEntryHeader entry(TarHeader h) throws UnsafeLayerException {
    Map<String, byte[]> local = pendingPax == null ? Map.of() : pendingPax;
    Map<String, byte[]> records = local;
    if (!global.isEmpty()) {
      records = new LinkedHashMap<>(global);
      records.putAll(local);
    }
    String shown = h.name();
    byte[] path = records.get("path");
    byte[] sparseName = records.get("GNU.sparse.name");
    if (path != null || sparseName != null) {
      shown = Names.decode(sparseName != null ? sparseName : path);
    }
    String linkShown = records.containsKey("linkpath") ? Names.decode(records.get("linkpath"))
        : longLink != null ? longLink : h.linkName();
    try {
      if (longName != null && path != null) {
        throw h.refusalOf(shown, "both a GNU long name ('L') and a PAX path record: GNU tar takes the path,"
            + " Python's tarfile the long name");
      }
      if (longLink != null && records.containsKey("linkpath")) {
        throw h.refusalOf(shown, "both a GNU long link name ('K') and a PAX linkpath record: GNU tar takes the"
            + " linkpath, Python's tarfile the long link name");
      }
      for (String key : new String[] {"path", "linkpath", "GNU.sparse.name"}) {
        if (records.containsKey(key) && records.get(key).length == 0) {
          // POSIX deletes the field, GNU tar takes '.', tarfile an empty name.
          throw h.refusalOf(h.name(), "an empty PAX " + key + " record, which readers take three ways");
        }
      }
      long size = h.size();
      long uid = h.uid();
      long gid = h.gid();
      long mtime = h.mtime();
      int nanos = 0;
      String key = null;
      try {
        key = "size";
        size = records.containsKey(key) ? TarNumbers.decimal(records.get(key), Long.MAX_VALUE) : size;
        key = "uid";
        uid = records.containsKey(key) ? TarNumbers.decimal(records.get(key), TarNumbers.MAX_ID) : uid;
        key = "gid";
        gid = records.containsKey(key) ? TarNumbers.decimal(records.get(key), TarNumbers.MAX_ID) : gid;
        for (String time : new String[] {"atime", "ctime", "mtime"}) {
          key = time;
          if (records.containsKey(key)) {
            long[] t = TarNumbers.time(records.get(key));
            if (key.equals("mtime")) {
              mtime = t[0];
              nanos = (int) t[1];
            }
          }
        }
      } catch (TarNumbers.NotANumber e) {
        throw h.refusalOf(shown, "its PAX record " + key + "='" + UnsafeLayerException.printable(
            Names.decode(records.get(key))) + "' is " + e.getMessage());
      }
      if (size > 0 && "123456".indexOf(h.type()) >= 0) {
        throw h.refusalOf(shown, "a " + typeName(h.type()) + " (type '" + h.type() + "') whose size says " + size
            + " bytes: GNU tar skips them as data after a symlink, device or fifo and reads them as headers after"
            + " a hard link or directory, Python's tarfile reads them as headers, the tar library skips them except"
            + " after a directory");
      }
      String uname = records.containsKey("uname") ? Names.decode(records.get("uname")) : h.uname();
      String gname = records.containsKey("gname") ? Names.decode(records.get("gname")) : h.gname();
      return new TarEntryHeader(h.at(), h.type(), shown, path == null && sparseName == null && longName == null,
          linkShown, h.mode(), uid, gid, uname, gname, mtime, nanos, size, h.devMajor(), h.devMinor(), records);
    } finally {
      pendingPax = null;
      longName = null;
      longLink = null;
    }
  }

  private UnsafeLayerException noEntryAfter() {
    TarHeader h = pendingSince;
    return new UnsafeLayerException(TarHeader.where(null, h.at()) + ": a '" + h.type() + "' header with no entry"
        + " after it");
  }

  private static String typeName(char type) {
    return switch (type) {
      case '1' -> "hard link";
      case '2' -> "symlink";
      case '3' -> "character device";
      case '4' -> "block device";
      case '5' -> "directory";
      default -> "fifo";
    };
  }

  private static long padded(long size) {
    return (size + BLOCK - 1) / BLOCK * BLOCK;
  }

  private static boolean isZero(byte[] block, int length) {
    for (int i = 0; i < length; i++) {
      if (block[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
