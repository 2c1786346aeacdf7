package dev.strata.layer;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Sorts records of bytes in bounded memory: records gather in memory up to a budget, each full
 * batch is sorted and written to a run file in the scratch directory, and the runs are merged
 * (at most {@link #FAN_IN} at a time, in rounds for more). A sort that fits its budget touches no
 * file. What a layer's index needs sorted (its paths, its nodes, its hard links) can hold as many
 * entries as the layer has, so none of it may be held whole.
 */
final class ExternalSort implements Closeable {
  /** Heap a record costs beyond its bytes (array header, reference, sort buffer). */
  private static final int OVERHEAD = 40;
  static final int FAN_IN = 64;

  private final Comparator<byte[]> order;
  private final Path scratch;
  private final long budget;
  private final List<Path> runs = new ArrayList<>();
  private byte[][] batch = new byte[1024][];
  private int count;
  private long used;
  private long total;

  ExternalSort(Comparator<byte[]> order, Path scratch, long budget) {
    this.order = order;
    this.scratch = scratch;
    this.budget = budget;
  }

  void add(byte[] record) throws IOException {
    if (count == batch.length) {
      batch = Arrays.copyOf(batch, count * 2);
    }
    batch[count++] = record;
    used += record.length + OVERHEAD;
    total++;
    if (used >= budget) {
      spill();
    }
  }

  long count() {
    return total;
  }

  /** Returns the records in order; the sort takes no more records. */
  Cursor sorted() throws IOException {
    if (runs.isEmpty()) {
      Arrays.sort(batch, 0, count, order);
      byte[][] all = batch;
      int n = count;
      batch = null;
      return new Cursor() {
        int i;

        @Override
        public byte[] next() {
          if (i >= n) {
            return null;
          }
          byte[] r = all[i];
          all[i++] = null;
          return r;
        }

        @Override
        public void close() {}
      };
    }
    if (count > 0) {
      spill();
    }
    batch = null;
    while (runs.size() > FAN_IN) {
      List<Path> round = new ArrayList<>(runs.subList(0, FAN_IN));
      runs.subList(0, FAN_IN).clear();
      Path merged = Files.createTempFile(scratch, "sort-", ".run");
      try (Cursor in = merge(round); DataOutputStream out = output(merged)) {
        for (byte[] r = in.next(); r != null; r = in.next()) {
          write(out, r);
        }
      }
      for (Path p : round) {
        Files.deleteIfExists(p);
      }
      runs.add(merged);
    }
    return merge(runs);
  }

  @Override
  public void close() throws IOException {
    for (Path p : runs) {
      Files.deleteIfExists(p);
    }
    runs.clear();
    batch = null;
  }

  /** The sorted records, one at a time. */
  interface Cursor extends Closeable {
    /** Returns the next record, or null after the last. */
    byte[] next() throws IOException;
  }

  private void spill() throws IOException {
    Arrays.sort(batch, 0, count, order);
    Path run = Files.createTempFile(scratch, "sort-", ".run");
    runs.add(run);
    try (DataOutputStream out = output(run)) {
      for (int i = 0; i < count; i++) {
        write(out, batch[i]);
        batch[i] = null;
      }
    }
    count = 0;
    used = 0;
  }

  private static DataOutputStream output(Path file) throws IOException {
    return new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16));
  }

  private static void write(DataOutputStream out, byte[] r) throws IOException {
    out.writeInt(r.length);
    out.write(r);
  }

  private Cursor merge(List<Path> files) throws IOException {
    List<Run> open = new ArrayList<>();
    PriorityQueue<Run> heads = new PriorityQueue<>((a, b) -> order.compare(a.head, b.head));
    try {
      for (Path f : files) {
        Run r = new Run(Files.newInputStream(f));
        open.add(r);
        if (r.advance()) {
          heads.add(r);
        }
      }
    } catch (IOException e) {
      for (Run r : open) {
        r.in.close();
      }
      throw e;
    }
    return new Cursor() {
      @Override
      public byte[] next() throws IOException {
        Run r = heads.poll();
        if (r == null) {
          return null;
        }
        byte[] out = r.head;
        if (r.advance()) {
          heads.add(r);
        }
        return out;
      }

      @Override
      public void close() throws IOException {
        for (Run r : open) {
          r.in.close();
        }
      }
    };
  }

  /** One run being merged, with its next record. */
  private static final class Run {
    final DataInputStream in;
    byte[] head;

    Run(InputStream in) {
      this.in = new DataInputStream(new BufferedInputStream(in, 1 << 15));
    }

    boolean advance() throws IOException {
      int n;
      try {
        n = in.readInt();
      } catch (EOFException e) {
        head = null;
        return false;
      }
      head = new byte[n];
      in.readFully(head);
      return true;
    }
  }
}
