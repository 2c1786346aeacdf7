package dev.strata.layout;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StagingSessionsTest {
  @TempDir Path tmp;

  @Test
  void sweepKeepsALiveSessionAndRemovesALeftOne() throws IOException {
    Path mine = StagingSessions.own(tmp);
    Path left = Files.createDirectories(tmp.resolve("p-1-deadbeef/a/b"));
    Files.writeString(left.resolve("f"), "x");

    StagingSessions.Swept swept = StagingSessions.sweep(tmp);

    assertThat(swept.removed()).containsExactly(tmp.resolve("p-1-deadbeef"));
    assertThat(swept.kept()).isEmpty();
    assertThat(mine).isDirectory();
    assertThat(tmp.resolve("p-1-deadbeef")).doesNotExist();
  }

  /**
   * A process at its end removes its own directory (its owner file first) while another
   * process's sweep walks the same directory: neither may fail on what the other removed. The
   * store stress test saw a commit fail with "no such file: tmp/p-PID-..." of a gc just ending.
   */
  @Test
  void sweepBesideAnOwnerRemovingItsOwnDirectoryFailsNeither() throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService owners = Executors.newSingleThreadExecutor();
    Future<Integer> owner = owners.submit(() -> {
      int n = 0;
      while (!stop.get()) {
        Path dir = tmp.resolve("p-" + n + "-0000000" + (n % 10));
        try {
          for (int i = 0; i < 8; i++) {
            Path sub = Files.createDirectories(dir.resolve("d" + i).resolve("e"));
            Files.writeString(sub.resolve("f"), "x");
          }
        } catch (java.nio.file.NoSuchFileException swept) {
          // the sweeper took the half-made directory already; that is its right
        }
        StagingSessions.removeTree(dir, new ArrayList<>());
        n++;
      }
      return n;
    });
    List<String> kept = new ArrayList<>();
    int sweeps = 0;
    try {
      for (long end = System.nanoTime() + 2_000_000_000L; System.nanoTime() < end; sweeps++) {
        kept.addAll(StagingSessions.sweep(tmp).kept());
      }
    } finally {
      stop.set(true);
    }
    int made = owner.get();
    owners.shutdown();

    assertThat(kept).isEmpty();
    assertThat(made).isGreaterThan(10);
    assertThat(sweeps).isGreaterThan(10);
  }
}
