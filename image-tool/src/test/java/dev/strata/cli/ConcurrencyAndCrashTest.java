package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.layout.Store;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several strata processes on one store, and one killed in the middle of a pull. */
class ConcurrencyAndCrashTest {
  @TempDir Path dir;

  @Test
  void twoPullsAtOnceIntoOneStoreBothSucceed() throws Exception {
    Path store = dir.resolve("store");
    Path big = bigImage(dir.resolve("big"), 24);
    Process a = StrataProcess.start(store, dir.resolve("a.log"), "pull", "oci:" + big + ":big", "one");
    Process b = StrataProcess.start(store, dir.resolve("b.log"), "pull", "oci:" + big + ":big", "two");
    Process c = StrataProcess.start(store, dir.resolve("c.log"), "pull", "oci:" + TestImages.tiny() + ":3layer", "three");
    assertThat(a.waitFor(5, TimeUnit.MINUTES)).isTrue();
    assertThat(b.waitFor(5, TimeUnit.MINUTES)).isTrue();
    assertThat(c.waitFor(5, TimeUnit.MINUTES)).isTrue();
    assertThat(a.exitValue()).as(Files.readString(dir.resolve("a.log"))).isZero();
    assertThat(b.exitValue()).as(Files.readString(dir.resolve("b.log"))).isZero();
    assertThat(c.exitValue()).as(Files.readString(dir.resolve("c.log"))).isZero();
    assertThat(Store.open(store).tags().keySet()).containsExactly("one", "three", "two");
    assertThat(Strata.run(store, "fsck").assertOk().out()).contains("all good");
  }

  /**
   * gc in one process, a pull of an image whose layer holds 10,000 small files in another,
   * started a tenth of a second apart after the image was removed: whatever order the lock
   * gives them, the image the pull tags is whole (the pull's process had seen the packs before
   * gc removed them, and skipped their contents as stored: fsck then named missing objects in 5
   * runs of 6). Several rounds, each checked by fsck and by reading every file of the layer.
   */
  @Test
  void gcBesideAPullLosesNothing() throws Exception {
    Path tree = Files.createDirectories(dir.resolve("tree/files"));
    for (int i = 0; i < 10_000; i++) {
      Files.writeString(tree.resolve("f" + i), "content " + i + "\n");
    }
    Path layout = dir.resolve("layout");
    Commands.run(List.of("cp", "-a", TestImages.tiny().toString(), layout.toString()));
    Commands.run(List.of("tar", "-C", dir.resolve("tree").toString(), "-cf", dir.resolve("files.tar").toString(), "files"));
    Commands.run(List.of("umoci", "raw", "add-layer", "--image", layout + ":3layer", "--tag", "many",
        dir.resolve("files.tar").toString()));
    Path store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + layout + ":many", "many").assertOk();
    for (int round = 0; round < 4; round++) {
      Strata.run(store, "rmi", "many").assertOk();
      Process gc = StrataProcess.start(store, dir.resolve("gc.log"), "gc");
      Thread.sleep(100);
      Commands.Result pull = StrataProcess.exec(store, java.util.Map.of(), "pull", "oci:" + layout + ":many", "many");
      assertThat(gc.waitFor(5, TimeUnit.MINUTES)).isTrue();
      assertThat(gc.exitValue()).as(Files.readString(dir.resolve("gc.log"))).isZero();
      assertThat(pull.exit()).as(pull.out()).isZero();
      assertThat(Strata.run(store, "fsck").assertOk().out()).as("round " + round).contains("all good");
    }
    Path mp = Files.createDirectories(dir.resolve("mnt"));
    Strata.run(store, "mount", "--read-only", "many", mp.toString()).assertOk();
    try {
      for (int i = 0; i < 10_000; i += 997) {
        assertThat(Files.readString(mp.resolve("files/f" + i))).isEqualTo("content " + i + "\n");
      }
      try (Stream<Path> files = Files.list(mp.resolve("files"))) {
        assertThat(files.count()).isEqualTo(10_000);
      }
    } finally {
      Strata.run(store, "umount", mp.toString()).assertOk();
    }
  }

  /**
   * A pull killed while it writes leaves no partial blob; what it staged (its directory in tmp/,
   * megabytes of it) is removed by the next process that takes the store lock, here the fsck
   * that follows, not at the next gc; the retry then succeeds.
   */
  @Test
  void aPullKilledMidwayLeavesNoPartialBlobAndTheNextCommandRemovesItsStaging() throws Exception {
    Path store = dir.resolve("store");
    Path big = bigImage(dir.resolve("big"), 96);
    Process p = StrataProcess.start(store, dir.resolve("kill.log"), "pull", "oci:" + big + ":big", "big");
    // Kill it while it is writing: once a megabyte is staged in its directory of tmp/.
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (System.nanoTime() < deadline && p.isAlive() && stagedBytes(store, p.pid()) < (1 << 20)) {
      Thread.sleep(5);
    }
    assertThat(p.isAlive()).as("the pull must still be running when killed; log: %s",
        Files.readString(dir.resolve("kill.log"))).isTrue();
    p.destroyForcibly().waitFor();
    assertThat(stagedBytes(store, p.pid())).isGreaterThanOrEqualTo(1 << 20);

    Store s = Store.open(store);
    assertThat(s.tags()).isEmpty();
    // Whatever is visible is whole: fsck re-hashes every blob and object.
    assertThat(Strata.run(store, "fsck").assertOk().out()).contains("all good");
    assertThat(stagingDirs(store, p.pid())).as("the killed pull's staging, after the next command").isEmpty();
    Strata.run(store, "pull", "oci:" + big + ":big", "big").assertOk();
    assertThat(Strata.run(store, "fsck").assertOk().out()).contains("all good");
    Strata.run(store, "gc").assertOk();
    // Only this JVM's own staging directory is left, empty but for its owner file.
    try (Stream<Path> tmp = Files.list(store.resolve("tmp"))) {
      assertThat(tmp.map(f -> f.getFileName().toString()))
          .allMatch(n -> n.startsWith("p-" + ProcessHandle.current().pid() + "-"));
    }
  }

  /**
   * gc runs beside a mount without waiting for it, and keeps what the mount uses though its
   * image was removed meanwhile: every file still reads through the mount; once it is unmounted
   * the next gc frees the image.
   */
  @Test
  void gcDoesNotWaitForAMountAndKeepsWhatItUses() throws Exception {
    Path store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
    Path mp = Files.createDirectories(dir.resolve("mnt"));
    Strata.run(store, "mount", "--read-only", "tiny", mp.toString()).assertOk();
    List<String> before;
    try {
      before = RootListing.withContents(mp);
      Strata.run(store, "rmi", "tiny").assertOk();
      Commands.Result gc = StrataProcess.exec(store, Map.of(), "gc", "--timeout", "20");
      assertThat(gc.exit()).as(gc.out()).isZero();
      assertThat(gc.out()).contains("kept what a mount uses: image tiny, read-only, pid");
      assertThat(RootListing.withContents(mp)).isEqualTo(before);
    } finally {
      Strata.run(store, "umount", mp.toString()).assertOk();
    }
    assertThat(Strata.run(store, "fsck").assertOk().out()).contains("all good");
    Strata.Run freed = Strata.run(store, "gc").assertOk();
    assertThat(freed.out()).doesNotContain("kept what a mount uses").doesNotContain("freed 0 items");
    assertThat(before).isNotEmpty();
  }

  /**
   * gc waits for a process that holds the store lock, says which one, and with --timeout gives
   * up naming it. The holder is a plain process taking the lock as every strata process does
   * (fcntl), so the test does not depend on how long a pull takes.
   */
  @Test
  void gcNamesWhatItWaitsForAndGivesUpAfterItsTimeout() throws Exception {
    Path store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
    Process holder = new ProcessBuilder("python3", "-c", """
        import fcntl, sys, time
        f = open(sys.argv[1], 'a+')
        fcntl.lockf(f, fcntl.LOCK_SH)
        print('held', flush=True)
        time.sleep(600)
        """, store.resolve("lock").toString()).redirectErrorStream(true).start();
    try {
      assertThat(new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream())).readLine())
          .isEqualTo("held");
      Commands.Result gc = StrataProcess.exec(store, Map.of(), "gc", "--timeout", "2");
      assertThat(gc.exit()).as(gc.out()).isNotZero();
      assertThat(gc.out())
          .contains("waiting for the lock " + store.resolve("lock"))
          .contains("pid " + holder.pid() + " (python3 -c")
          .contains("gave up after 2 s");
      assertThat(Store.open(store).tags()).containsKey("tiny");
    } finally {
      holder.destroyForcibly().waitFor();
    }
    Commands.Result gc = StrataProcess.exec(store, Map.of(), "gc", "--timeout", "2");
    assertThat(gc.exit()).as(gc.out()).isZero();
  }

  /** Bytes in the staging directories of process {@code pid} in the store's tmp/. */
  private static long stagedBytes(Path store, long pid) throws IOException {
    long total = 0;
    for (Path d : stagingDirs(store, pid)) {
      try (Stream<Path> files = Files.walk(d)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          try {
            if (Files.isRegularFile(f)) {
              total += Files.size(f);
            }
          } catch (java.nio.file.NoSuchFileException gone) {
            // published meanwhile
          }
        }
      } catch (java.nio.file.NoSuchFileException | java.io.UncheckedIOException gone) {
        // removed meanwhile
      }
    }
    return total;
  }

  private static List<Path> stagingDirs(Path store, long pid) throws IOException {
    Path tmp = store.resolve("tmp");
    if (!Files.isDirectory(tmp)) {
      return List.of();
    }
    try (Stream<Path> dirs = Files.list(tmp)) {
      return dirs.filter(d -> d.getFileName().toString().startsWith("p-" + pid + "-")).toList();
    }
  }

  /** An image of one layer holding {@code megabytes} of incompressible files, so a pull takes a while. */
  private static Path bigImage(Path layout, int megabytes) throws IOException {
    Random random = new Random(megabytes);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      byte[] chunk = new byte[1 << 20];
      for (int i = 0; i < megabytes; i++) {
        random.nextBytes(chunk);
        TarArchiveEntry e = new TarArchiveEntry("data/file-" + i);
        e.setSize(chunk.length);
        tar.putArchiveEntry(e);
        tar.write(chunk);
        tar.closeArchiveEntry();
      }
    }
    return OciLayouts.write(layout, "big", List.of(bytes.toByteArray()));
  }
}
