package dev.strata.fuse.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Many callers at once, as a container's processes are: no call fails, no write is lost, and
 * a lower file copied up by several first writers at once is copied once.
 */
class ConcurrencyTest extends MountedOverlayTest {
  private static final int THREADS = 8;
  private static final long RUN_MILLIS = 3_000;

  @OnEachOverlay
  void appendersAndReadersLoseNothing(Overlay overlay) throws Exception {
    mount(overlay);
    byte[] big = Files.readAllBytes(lower("l3/big"));
    String original = read("d1/f");
    long deadline = System.currentTimeMillis() + RUN_MILLIS;
    List<Callable<Integer>> workers = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      workers.add(() -> {
        int records = 0;
        while (System.currentTimeMillis() < deadline) {
          byte[] record = ("t" + thread + " " + records + "\n").getBytes(StandardCharsets.UTF_8);
          // Its own new file, and a lower file all copy up at once: each record one O_APPEND write.
          append(at("own-" + thread), record);
          append(at("d1/f"), record);
          records++;
          if (records % 256 == thread) {
            assertThat(Files.readAllBytes(at("big"))).isEqualTo(big);
            assertThat(Files.readString(at("own-" + thread))).endsWith(new String(record, StandardCharsets.UTF_8));
          }
        }
        return records;
      });
    }
    List<Integer> counts = runAll(workers);

    List<String> shared = new ArrayList<>(Arrays.asList(read("d1/f").substring(original.length()).split("\n")));
    assertThat(read("d1/f")).startsWith(original);
    List<String> expectedShared = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      List<String> own = new ArrayList<>();
      for (int i = 0; i < counts.get(t); i++) {
        own.add("t" + t + " " + i);
      }
      assertThat(read("own-" + t).split("\n")).as("thread %d's own file", t).containsExactlyElementsOf(own);
      expectedShared.addAll(own);
    }
    // Sorted and compared whole: AssertJ's any-order match is quadratic in tens of thousands of records.
    Collections.sort(shared);
    Collections.sort(expectedShared);
    assertThat(shared).as("the shared lower file").isEqualTo(expectedShared);
  }

  @OnEachOverlay
  void firstWritersOfALowerFileAllLand(Overlay overlay) throws Exception {
    mount(overlay);
    byte[] expected = Files.readAllBytes(lower("l3/big"));
    CyclicBarrier start = new CyclicBarrier(THREADS);
    List<Callable<Integer>> writers = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      byte[] slot = new byte[4096];
      Arrays.fill(slot, (byte) ('A' + t));
      System.arraycopy(slot, 0, expected, t * 30_000, slot.length);
      int offset = t * 30_000;
      writers.add(() -> {
        start.await(20, TimeUnit.SECONDS);
        try (FileChannel ch = FileChannel.open(at("big"), StandardOpenOption.WRITE)) {
          ch.write(ByteBuffer.wrap(slot), offset);
        }
        return 1;
      });
    }
    runAll(writers);
    assertThat(Files.readAllBytes(at("big"))).isEqualTo(expected);
  }

  private static void append(Path file, byte[] record) throws IOException {
    Files.write(file, record, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  /** Runs every worker on a thread of its own; rethrows the first failure. */
  private static List<Integer> runAll(List<Callable<Integer>> workers) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(workers.size());
    try {
      List<Future<Integer>> futures = pool.invokeAll(workers);
      List<Integer> out = new ArrayList<>();
      for (Future<Integer> f : futures) {
        out.add(f.get());
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }
}
