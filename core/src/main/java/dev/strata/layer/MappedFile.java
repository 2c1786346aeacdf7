package dev.strata.layer;

import dev.strata.host.MappedPages;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file read in place: mapped in chunks of 1 GiB (a buffer holds at most 2 GiB), so an index of
 * any size is read where it lies and only the pages a reader touches come into memory; a file of
 * a few KiB is read onto the heap instead, as a mapping of it would cost more than its bytes.
 * Every read is bounds-checked: a damaged file gives an IOException, never a wild read.
 */
final class MappedFile {
  private static final int CHUNK_BITS = 30;
  private static final long CHUNK = 1L << CHUNK_BITS;
  /** Below this a file is read onto the heap (one page of mapping for a few hundred bytes). */
  static final int HEAP_BELOW = 1 << 16;

  private final ByteBuffer[] chunks;
  private final long size;

  private MappedFile(ByteBuffer[] chunks, long size) {
    this.chunks = chunks;
    this.size = size;
  }

  /** Opens {@code file} for reading; the mapping outlives the file's name (it may be deleted). */
  static MappedFile open(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < HEAP_BELOW) {
        ByteBuffer heap = ByteBuffer.allocate((int) size);
        while (heap.hasRemaining() && ch.read(heap) >= 0) {
          // read it all
        }
        if (heap.hasRemaining()) {
          throw new IOException(file + " shrank while it was read");
        }
        return new MappedFile(new ByteBuffer[] {heap.flip().order(ByteOrder.LITTLE_ENDIAN)}, size);
      }
      int count = (int) ((size + CHUNK - 1) >>> CHUNK_BITS);
      ByteBuffer[] chunks = new ByteBuffer[count];
      for (int i = 0; i < count; i++) {
        long at = (long) i << CHUNK_BITS;
        MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, at, Math.min(CHUNK, size - at));
        chunks[i] = m.order(ByteOrder.LITTLE_ENDIAN);
      }
      return new MappedFile(chunks, size);
    }
  }

  long size() {
    return size;
  }

  /**
   * Hands back the pages reads have mapped (they stay in the page cache): a walk of a big index
   * would otherwise keep all of it in the process's resident size for the life of the mount.
   * Safe beside readers, whose next read of a page maps it again.
   */
  void release() {
    for (ByteBuffer chunk : chunks) {
      if (chunk instanceof MappedByteBuffer m) {
        MappedPages.release(m);
      }
    }
  }

  byte get(long pos) throws IOException {
    check(pos, 1);
    return chunks[(int) (pos >>> CHUNK_BITS)].get((int) (pos & (CHUNK - 1)));
  }

  int getInt(long pos) throws IOException {
    check(pos, 4);
    int off = (int) (pos & (CHUNK - 1));
    ByteBuffer c = chunks[(int) (pos >>> CHUNK_BITS)];
    if (off + 4 <= c.limit()) {
      return c.getInt(off);
    }
    return (int) little(pos, 4);
  }

  long getLong(long pos) throws IOException {
    check(pos, 8);
    int off = (int) (pos & (CHUNK - 1));
    ByteBuffer c = chunks[(int) (pos >>> CHUNK_BITS)];
    if (off + 8 <= c.limit()) {
      return c.getLong(off);
    }
    return little(pos, 8);
  }

  /** Reads {@code len} bytes at {@code pos} into {@code dst}. */
  void get(long pos, byte[] dst, int off, int len) throws IOException {
    check(pos, len);
    while (len > 0) {
      ByteBuffer c = chunks[(int) (pos >>> CHUNK_BITS)];
      int at = (int) (pos & (CHUNK - 1));
      int n = Math.min(len, c.limit() - at);
      c.get(at, dst, off, n);
      pos += n;
      off += n;
      len -= n;
    }
  }

  byte[] bytes(long pos, int len) throws IOException {
    byte[] b = new byte[len];
    get(pos, b, 0, len);
    return b;
  }

  /**
   * Compares the {@code len} bytes at {@code pos} with {@code key}, unsigned, in place (the hot
   * step of a binary search: nothing is copied).
   */
  int compare(long pos, int len, byte[] key) throws IOException {
    check(pos, len);
    int n = Math.min(len, key.length);
    ByteBuffer c = chunks[(int) (pos >>> CHUNK_BITS)];
    int off = (int) (pos & (CHUNK - 1));
    boolean inChunk = off + n <= c.limit();
    for (int i = 0; i < n; i++) {
      int a = (inChunk ? c.get(off + i) : get(pos + i)) & 0xff;
      int b = key[i] & 0xff;
      if (a != b) {
        return a - b;
      }
    }
    return Integer.compare(len, key.length);
  }

  private long little(long pos, int n) throws IOException {
    long v = 0;
    for (int i = n - 1; i >= 0; i--) {
      v = (v << 8) | (get(pos + i) & 0xff);
    }
    return v;
  }

  private void check(long pos, long len) throws IOException {
    if (pos < 0 || len < 0 || pos + len > size) {
      throw new IOException("layer index is damaged: a read of " + len + " bytes at " + pos
          + " lies outside its " + size + " bytes");
    }
  }
}
