package dev.strata.layer;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;

/** Unsigned LEB128 varints, the numbers of a layer index's records and of its build's spill files. */
final class Varints {
  private Varints() {}

  static void write(OutputStream out, long v) throws IOException {
    while ((v & ~0x7fL) != 0) {
      out.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  static long zigzag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  static long unzigzag(long v) {
    return (v >>> 1) ^ -(v & 1);
  }

  static long read(DataInputStream in) throws IOException {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("spill file ends early");
      }
      v |= (long) (b & 0x7f) << shift;
      if (b < 0x80) {
        return v;
      }
    }
    throw new IOException("corrupt varint in spill file");
  }

  /** A position in a {@link MappedFile} that reads varints forward. */
  static final class Cursor {
    private final MappedFile file;
    long pos;
    private final long limit;

    Cursor(MappedFile file, long pos, long limit) {
      this.file = file;
      this.pos = pos;
      this.limit = limit;
    }

    long varint() throws IOException {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= limit) {
          throw new IOException("layer index is damaged: a record runs past its section");
        }
        byte b = file.get(pos++);
        v |= (long) (b & 0x7f) << shift;
        if (b >= 0) {
          return v;
        }
      }
      throw new IOException("layer index is damaged: a corrupt number");
    }

    int count() throws IOException {
      long n = varint();
      if (n < 0 || n > limit - pos) {
        throw new IOException("layer index is damaged: a length of " + n + " past its section");
      }
      return (int) n;
    }

    int u8() throws IOException {
      if (pos >= limit) {
        throw new IOException("layer index is damaged: a record runs past its section");
      }
      return file.get(pos++) & 0xff;
    }

    byte[] bytes(int n) throws IOException {
      if (n > limit - pos) {
        throw new IOException("layer index is damaged: a record runs past its section");
      }
      byte[] b = file.bytes(pos, n);
      pos += n;
      return b;
    }
  }
}
