package dev.strata.layer;

import dev.strata.digest.Streams;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Watches the 512-byte header blocks that pass under the tar reader, for two reasons the tar
 * library cannot serve: it reads PAX and GNU long-name headers whole into memory (a hostile
 * layer could declare gigabytes), and it decodes PAX values as UTF-8, which corrupts binary
 * xattr values such as {@code security.capability}. The guard refuses oversized headers and
 * keeps the raw bytes of the PAX header that belongs to the current entry.
 *
 * <p>The tar library stays the authority on the format: if the guard loses track of the block
 * structure (an unusual header it does not know), it stops watching instead of failing.
 */
final class TarHeaderGuard extends FilterInputStream {
  private static final int BLOCK = 512;

  private final int maxHeaderBytes;
  private final byte[] header = new byte[BLOCK];
  private int headerFill;
  /** Bytes of content (plus padding) to pass before the next header block. */
  private long skip;
  /** Extended sparse header blocks still to pass (old GNU sparse format). */
  private boolean sparseExtension;
  private boolean lost;
  /** Whether an end-of-archive block has passed. */
  private boolean ended;
  private ByteArrayOutputStream paxCapture;
  private long paxRemaining;
  private byte[] pendingPax;
  private byte[] currentPax;

  TarHeaderGuard(InputStream in, int maxHeaderBytes) {
    super(in);
    this.maxHeaderBytes = maxHeaderBytes;
  }

  /** Returns the raw PAX extended header of the entry the reader just returned, or null. */
  byte[] currentPax() {
    return currentPax;
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
    if (!lost && !ended && (headerFill > 0 || skip > 0)) {
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
    while (len > 0 && !lost) {
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
          pendingPax = paxCapture.toByteArray();
          paxCapture = null;
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
        onBlock();
      }
    }
  }

  private void onBlock() throws IOException {
    if (sparseExtension) {
      sparseExtension = header[504] != 0;
      return;
    }
    if (isZero(header)) {
      ended = true; // end-of-archive blocks; what may follow is padding
      return;
    }
    if (!checksumValid()) {
      lost = true;
      return;
    }
    long size = parseSize();
    if (size < 0) {
      lost = true;
      return;
    }
    char type = (char) header[156];
    boolean metadata = type == 'x' || type == 'X' || type == 'g' || type == 'L' || type == 'K';
    if (metadata && size > maxHeaderBytes) {
      throw new UnsafeLayerException("a tar '" + type + "' header of " + size + " bytes exceeds the limit of "
          + maxHeaderBytes + " bytes");
    }
    if (type == 'x' || type == 'X') {
      paxCapture = new ByteArrayOutputStream((int) size);
      paxRemaining = size;
      if (size == 0) {
        pendingPax = new byte[0];
        paxCapture = null;
      }
    } else if (type != 'L' && type != 'K' && type != 'g') {
      // A real entry: the PAX header just before it (if any) is its own.
      currentPax = pendingPax;
      pendingPax = null;
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
