package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.layout.Store;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

  @Test
  void aPullKilledMidwayLeavesNoPartialBlobAndTheRetrySucceeds() throws Exception {
    Path store = dir.resolve("store");
    Path big = bigImage(dir.resolve("big"), 96);
    Process p = StrataProcess.start(store, dir.resolve("kill.log"), "pull", "oci:" + big + ":big", "big");
    // Kill it while it is writing: once a staged blob or batch appears in tmp/.
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (System.nanoTime() < deadline && p.isAlive() && !staging(store)) {
      Thread.sleep(5);
    }
    assertThat(p.isAlive()).as("the pull must still be running when killed; log: %s",
        Files.readString(dir.resolve("kill.log"))).isTrue();
    p.destroyForcibly().waitFor();

    Store s = Store.open(store);
    assertThat(s.tags()).isEmpty();
    // Whatever is visible is whole: fsck re-hashes every blob and object.
    assertThat(Strata.run(store, "fsck").assertOk().out()).contains("all good");
    Strata.run(store, "pull", "oci:" + big + ":big", "big").assertOk();
    assertThat(Strata.run(store, "fsck").assertOk().out()).contains("all good");
    Strata.run(store, "gc").assertOk();
    try (Stream<Path> tmp = Files.list(store.resolve("tmp"))) {
      assertThat(tmp).isEmpty();
    }
  }

  private static boolean staging(Path store) throws IOException {
    Path tmp = store.resolve("tmp");
    if (!Files.isDirectory(tmp)) {
      return false;
    }
    try (Stream<Path> files = Files.list(tmp)) {
      return files.anyMatch(f -> f.getFileName().toString().startsWith("blob-"));
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
