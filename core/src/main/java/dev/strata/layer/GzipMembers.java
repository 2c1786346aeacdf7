package dev.strata.layer;

import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A gzip stream read as {@code gzip -d} reads it, which GNU tar runs: one member after another
 * (concatenated members are one stream), each with its CRC and length checked, and zeros after
 * the last member ignored; any other byte after it is refused, where the JDK's
 * GZIPInputStream silently drops what does not look like another member (gzip -d says
 * "trailing garbage ignored" and fails, so GNU tar fails too). Errors give the byte of the
 * compressed stream they are at.
 */
final class GzipMembers extends InputStream {
  private static final int FHCRC = 2;
  private static final int FEXTRA = 4;
  private static final int FNAME = 8;
  private static final int FCOMMENT = 16;

  private final InputStream in;
  private final byte[] buffer = new byte[1 << 16];
  private int pos;
  private int limit;
  /** Compressed bytes before {@code buffer[0]}. */
  private long base;
  private final Inflater inflater = new Inflater(true);
  private final CRC32 crc = new CRC32();
  private long memberBytes;
  private int member;
  private long memberAt;
  private boolean inMember;
  private boolean ended;

  GzipMembers(InputStream in) {
    this.in = in;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (!ended) {
      if (!inMember) {
        if (!startMember()) {
          ended = true;
          break;
        }
        continue;
      }
      int n;
      try {
        n = inflater.inflate(b, off, len);
      } catch (DataFormatException e) {
        throw corrupt("its deflate data is corrupt (" + e.getMessage() + ")");
      }
      if (n > 0) {
        crc.update(b, off, n);
        memberBytes += n;
        return n;
      }
      if (inflater.finished()) {
        pos = limit - inflater.getRemaining();
        endMember();
      } else if (inflater.needsDictionary()) {
        throw corrupt("its deflate data asks for a preset dictionary");
      } else if (inflater.needsInput()) {
        pos = limit;
        if (!fill()) {
          throw truncated();
        }
        inflater.setInput(buffer, pos, limit - pos);
      }
    }
    return -1;
  }

  /** Reads the header of the next member; false at the end of the stream. */
  private boolean startMember() throws IOException {
    memberAt = base + pos;
    int id1 = next();
    if (id1 < 0) {
      if (member == 0) {
        throw new UnsafeLayerException("the gzip stream is empty");
      }
      return false;
    }
    if (id1 == 0 && member > 0) {
      // gzip -d (and Python's gzip) take zeros after the last member for padding.
      long at = memberAt;
      for (int z = id1; z >= 0; z = next()) {
        if (z != 0) {
          throw garbage(at);
        }
      }
      return false;
    }
    int id2 = next();
    if (id1 != 0x1f || id2 != 0x8b) {
      if (member > 0) {
        throw garbage(memberAt);
      }
      throw corrupt("it does not start with gzip's magic bytes");
    }
    member++;
    if (next() != 8) {
      throw corrupt("its compression method is not deflate");
    }
    int flags = need();
    if ((flags & 0xe0) != 0) {
      throw corrupt("its header sets reserved flags");
    }
    for (int i = 0; i < 6; i++) {
      need(); // mtime, extra flags, OS
    }
    if ((flags & FEXTRA) != 0) {
      int xlen = need() | need() << 8;
      for (int i = 0; i < xlen; i++) {
        need();
      }
    }
    for (int flag : new int[] {FNAME, FCOMMENT}) {
      if ((flags & flag) != 0) {
        while (need() != 0) {
          // a NUL-terminated file name or comment
        }
      }
    }
    if ((flags & FHCRC) != 0) {
      need();
      need();
    }
    inflater.reset();
    crc.reset();
    memberBytes = 0;
    inMember = true;
    if (pos < limit) {
      inflater.setInput(buffer, pos, limit - pos);
    }
    return true;
  }

  /** Checks the trailer of the member that just ended: CRC-32 and length, little-endian. */
  private void endMember() throws IOException {
    inMember = false;
    long storedCrc = need() | need() << 8 | need() << 16 | (long) need() << 24;
    long storedSize = need() | need() << 8 | need() << 16 | (long) need() << 24;
    if (storedCrc != crc.getValue()) {
      throw corrupt("its CRC-32 does not match its data");
    }
    if (storedSize != (memberBytes & 0xffff_ffffL)) {
      throw corrupt("its length says " + storedSize + " bytes but it holds " + memberBytes);
    }
  }

  private int need() throws IOException {
    int b = next();
    if (b < 0) {
      throw truncated();
    }
    return b;
  }

  private int next() throws IOException {
    if (pos == limit && !fill()) {
      return -1;
    }
    return buffer[pos++] & 0xff;
  }

  /** Reads more compressed bytes into an empty buffer; false at the end of the stream. */
  private boolean fill() throws IOException {
    base += limit;
    pos = 0;
    limit = 0;
    int n = in.read(buffer, 0, buffer.length);
    if (n <= 0) {
      return false;
    }
    limit = n;
    return true;
  }

  private UnsafeLayerException truncated() {
    return new UnsafeLayerException("the gzip stream is truncated: it ends inside member " + member
        + " (which starts at byte " + memberAt + ") at byte " + (base + limit));
  }

  private UnsafeLayerException corrupt(String problem) {
    return new UnsafeLayerException("corrupt gzip stream: member " + Math.max(member, 1) + " at byte " + memberAt
        + ": " + problem);
  }

  private UnsafeLayerException garbage(long at) {
    return new UnsafeLayerException("bytes after the gzip stream, from byte " + at + ", are neither another gzip"
        + " member nor zeros (gzip -d, and so GNU tar, refuses such trailing garbage)");
  }

  @Override
  public void close() throws IOException {
    inflater.end();
    in.close();
  }
}
