package dev.strata.layer;

import dev.strata.digest.Streams;
import dev.strata.host.Names;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Watches the 512-byte header blocks that pass under the tar reader, for two reasons the tar
 * library cannot serve: it reads PAX and GNU long-name headers whole into memory (a hostile
 * layer could declare gigabytes), and it decodes PAX values as UTF-8, which corrupts binary
 * xattr values such as {@code security.capability} and names that are not UTF-8. The guard
 * refuses oversized headers and keeps the raw records of the PAX headers (the entry's own and
 * the global ones) that belong to the current entry.
 *
 * <p>The guard follows the block structure exactly as the tar reader does (a PAX {@code size}
 * record sizes the entry's data), and refuses a header block it cannot read rather than stop
 * watching: records kept from an earlier entry would otherwise name a later one.
 */
final class TarHeaderGuard extends FilterInputStream {
  private static final int BLOCK = 512;

  private final int maxHeaderBytes;
  private final byte[] header = new byte[BLOCK];
  private int headerFill;
  /** Bytes of the stream seen so far: where a refused block starts. */
  private long offset;
  /** Bytes of content (plus padding) to pass before the next header block. */
  private long skip;
  /** Extended sparse header blocks still to pass (old GNU sparse format). */
  private boolean sparseExtension;
  /** Whether an end-of-archive block has passed: what follows is padding, not headers. */
  private boolean ended;
  private ByteArrayOutputStream paxCapture;
  private long paxRemaining;
  private boolean capturingGlobal;
  private byte[] pendingPax;
  /** The records of every global header so far, a later record of a key replacing an earlier one. */
  private final Map<String, byte[]> global = new LinkedHashMap<>();
  private long globalBytes;
  private Map<String, byte[]> current = Map.of();

  TarHeaderGuard(InputStream in, int maxHeaderBytes) {
    super(in);
    this.maxHeaderBytes = maxHeaderBytes;
  }

  /**
   * Returns the PAX records that apply to the entry the reader just returned, as raw bytes:
   * the global headers' records, overridden by those of the entry's own header.
   */
  Map<String, byte[]> currentRecords() {
    return current;
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b >= 0) {
      observe(new byte[] {(byte) b}, 0, 1);
    } else {
      checkEnd();
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      observe(b, off, n);
    } else if (n < 0) {
      checkEnd();
    }
    return n;
  }

  /**
   * Refuses a stream that ends inside a header block or an entry's content: the tar reader takes
   * a short last record for the end of the archive and would accept the truncated layer. A stream
   * that ends between entries without the end-of-archive blocks is accepted, as other tools do.
   */
  private void checkEnd() throws EOFException {
    if (!ended && (headerFill > 0 || skip > 0)) {
      throw new EOFException("layer tar is truncated: it ends inside "
          + (headerFill > 0 ? "a header block" : "an entry's content"));
    }
  }

  @Override
  public long skip(long n) throws IOException {
    // Skipping is reading here: every byte must be seen to keep the block structure.
    return Streams.skipByReading(this, n);
  }

  private void observe(byte[] b, int off, int len) throws IOException {
    offset += len;
    while (len > 0 && !ended) {
      if (skip > 0) {
        int n = (int) Math.min(skip, len);
        if (paxCapture != null && paxRemaining > 0) {
          int c = (int) Math.min(paxRemaining, n);
          paxCapture.write(b, off, c);
          paxRemaining -= c;
        }
        skip -= n;
        off += n;
        len -= n;
        if (skip == 0 && paxCapture != null) {
          captured(paxCapture.toByteArray());
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
    if (isZero(header)) {
      ended = true; // the end-of-archive block, where the reader stops too
      return;
    }
    if (!checksumValid()) {
      throw new UnsafeLayerException("corrupt tar header block at byte " + at + ": its checksum does not match");
    }
    long size = parseSize();
    if (size < 0) {
      throw new UnsafeLayerException("corrupt tar header block at byte " + at + ": unreadable size field");
    }
    char type = (char) header[156];
    boolean metadata = type == 'x' || type == 'X' || type == 'g' || type == 'L' || type == 'K';
    if (metadata && size > maxHeaderBytes) {
      throw new UnsafeLayerException("a tar '" + type + "' header of " + size + " bytes exceeds the limit of "
          + maxHeaderBytes + " bytes");
    }
    if (type == 'x' || type == 'X' || type == 'g') {
      if (type != 'g' && pendingPax != null) {
        // Readers disagree on which of two such headers wins; no tar writer makes them.
        throw new UnsafeLayerException("two PAX headers for one tar entry at byte " + at);
      }
      capturingGlobal = type == 'g';
      paxCapture = new ByteArrayOutputStream((int) size);
      paxRemaining = size;
      if (size == 0) {
        captured(new byte[0]);
      }
    } else if (type != 'L' && type != 'K') {
      // A real entry: the PAX header just before it (if any) is its own.
      Map<String, byte[]> local = PaxRecords.parse(pendingPax);
      pendingPax = null;
      if (global.isEmpty()) {
        current = local;
      } else {
        current = new LinkedHashMap<>(global);
        current.putAll(local);
      }
      byte[] paxSize = local.get("size");
      if (paxSize != null) {
        size = paxSize(paxSize, at); // the header's field may be 0 or garbage when the size needs PAX
      }
      if (type == 'S' && header[482] != 0) {
        sparseExtension = true;
      }
    }
    if (type == '1' || type == '2' || type == '3' || type == '4' || type == '5' || type == '6') {
      // Links, devices, dirs and fifos carry no data whatever their size field says, in GNU tar
      // and in the reader; a hard link in PAX may declare a size, which the reader ignores too.
      size = 0;
    }
    skip = (size + BLOCK - 1) / BLOCK * BLOCK;
  }

  /** Takes the body of a PAX header that has passed whole. */
  private void captured(byte[] body) throws UnsafeLayerException {
    paxCapture = null;
    if (!capturingGlobal) {
      pendingPax = body;
      return;
    }
    globalBytes += body.length;
    if (globalBytes > maxHeaderBytes) {
      throw new UnsafeLayerException("global PAX headers of more than " + maxHeaderBytes + " bytes in all");
    }
    Map<String, byte[]> records = PaxRecords.parse(body);
    if (records.containsKey("size")) {
      throw new UnsafeLayerException("a global PAX header sets the size of every entry");
    }
    global.putAll(records);
  }

  private static long paxSize(byte[] value, long at) throws UnsafeLayerException {
    String text = new String(value, StandardCharsets.US_ASCII);
    try {
      long size = Long.parseLong(text);
      if (size >= 0 && text.chars().allMatch(c -> c >= '0' && c <= '9')) {
        return size;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new UnsafeLayerException("PAX size record '" + UnsafeLayerException.printable(Names.decode(value))
        + "' of the tar entry at byte " + at + " is not a size");
  }

  private static boolean isZero(byte[] block) {
    for (byte x : block) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  private boolean checksumValid() {
    long stored = parseOctal(148, 8);
    long unsigned = 0;
    long signed = 0;
    for (int i = 0; i < BLOCK; i++) {
      int v = (i >= 148 && i < 156) ? ' ' : header[i];
      unsigned += v & 0xff;
      signed += v;
    }
    return stored == unsigned || stored == signed;
  }

  private long parseSize() {
    if ((header[124] & 0x80) != 0) {
      // GNU base-256: big-endian binary in the remaining bytes of the field.
      long v = 0;
      for (int i = 125; i < 136; i++) {
        if (v > (Long.MAX_VALUE >> 8)) {
          return -1;
        }
        v = (v << 8) | (header[i] & 0xff);
      }
      return v;
    }
    return parseOctal(124, 12);
  }

  private long parseOctal(int offset, int length) {
    String s = new String(header, offset, length, StandardCharsets.US_ASCII).trim();
    int nul = s.indexOf('\0');
    if (nul >= 0) {
      s = s.substring(0, nul).trim();
    }
    if (s.isEmpty()) {
      return 0;
    }
    try {
      return Long.parseLong(s, 8);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
