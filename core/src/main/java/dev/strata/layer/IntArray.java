package dev.strata.layer;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An array of ints indexed by an entry's position, for what an index build must look up at
 * random (the root and group of each hard link). Small arrays live on the heap; larger ones in
 * a mapped scratch file, sparse until written, so a layer of millions of entries costs page
 * cache rather than heap. Every element starts at 0.
 */
final class IntArray implements Closeable {
  private static final int HEAP_MAX = 1 << 18;
  /** Elements per mapped chunk (a buffer holds at most 2 GiB). */
  private static final int CHUNK = 1 << 28;

  private final int[] heap;
  private final IntBuffer[] mapped;
  private final Path file;

  IntArray(long length, Path scratch) throws IOException {
    if (length <= HEAP_MAX) {
      heap = new int[(int) length];
      mapped = null;
      file = null;
      return;
    }
    heap = null;
    file = Files.createTempFile(scratch, "ints-", ".bin");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      int chunks = (int) ((length + CHUNK - 1) / CHUNK);
      mapped = new IntBuffer[chunks];
      for (int i = 0; i < chunks; i++) {
        long from = (long) i * CHUNK;
        long n = Math.min(CHUNK, length - from);
        mapped[i] = ch.map(FileChannel.MapMode.READ_WRITE, from * 4, n * 4).order(ByteOrder.nativeOrder()).asIntBuffer();
      }
    }
  }

  int get(long i) {
    return heap != null ? heap[(int) i] : mapped[(int) (i / CHUNK)].get((int) (i % CHUNK));
  }

  void set(long i, int v) {
    if (heap != null) {
      heap[(int) i] = v;
    } else {
      mapped[(int) (i / CHUNK)].put((int) (i % CHUNK), v);
    }
  }

  @Override
  public void close() throws IOException {
    if (file != null) {
      Files.deleteIfExists(file);
    }
  }
}
