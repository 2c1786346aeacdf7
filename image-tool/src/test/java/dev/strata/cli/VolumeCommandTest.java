package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.image.json.ImageJson;
import dev.strata.layer.TarBuilder;
import dev.strata.layout.Containers;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** strata volume: its subcommands, their output and exit codes, and a kill -9 in the middle of an import. */
class VolumeCommandTest {
  @TempDir Path store;
  @TempDir Path work;

  @Test
  void createListInspectAndJson() throws Exception {
    assertThat(Strata.run(store, "volume", "create", "--label", "team=db", "-l", "tier=gold", "pgdata").assertOk().out())
        .isEqualTo("pgdata\n");
    Strata.run(store, "volume", "create", "cache").assertOk();
    String table = Strata.run(store, "volume", "ls").assertOk().out();
    assertThat(table.lines().toList()).hasSize(3);
    assertThat(table.lines().findFirst().orElseThrow()).startsWith("VOLUME").contains("USERS", "CREATED", "LABELS");
    assertThat(table).contains("pgdata").contains("team=db,tier=gold");

    JsonNode all = json(Strata.run(store, "volume", "ls", "--json").assertOk());
    assertThat(all).hasSize(2);
    assertThat(all.get(0).get("name").asText()).isEqualTo("cache");
    JsonNode pg = json(Strata.run(store, "volume", "inspect", "pgdata", "--json").assertOk());
    assertThat(pg.get("labels").get("tier").asText()).isEqualTo("gold");
    assertThat(pg.get("users")).isEmpty();
    assertThat(pg.get("dangling").asBoolean()).isTrue();
    assertThat(pg.get("data").asText()).isEqualTo(store.resolve("volumes/pgdata/data").toString());
    assertThat(Path.of(pg.get("data").asText())).isEmptyDirectory();
    assertThat(Strata.run(store, "volume", "inspect", "pgdata").assertOk().out())
        .contains("Name:     pgdata").contains("Users:    none (dangling)");
  }

  @Test
  void exitCodesSayWhatWentWrong() {
    Strata.run(store, "volume", "create", "v").assertOk();
    Strata.Run again = Strata.run(store, "volume", "create", "v");
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).contains("volume 'v' already exists");
    Strata.Run bad = Strata.run(store, "volume", "create", "-bad");
    assertThat(bad.exit()).isEqualTo(2);
    Strata.Run slash = Strata.run(store, "volume", "create", "a/b");
    assertThat(slash.exit()).isEqualTo(2);
    assertThat(slash.err()).contains("invalid volume name 'a/b'");
    assertThat(Strata.run(store, "volume").exit()).isEqualTo(2);
    assertThat(Strata.run(store, "volume", "create", "--label", "novalue", "x").exit()).isEqualTo(2);
    Strata.Run missing = Strata.run(store, "volume", "inspect", "nope");
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).contains("no volume named 'nope'");
  }

  @Test
  void rmRefusesAVolumeInUseNamingItsContainersPruneRemovesOnlyDanglingOnes() throws Exception {
    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
    Store s = Store.open(store);
    new Containers(s).getOrCreate("web", StoredImage.load(s, "tiny"));
    for (String v : List.of("used", "free", "stale")) {
      Strata.run(store, "volume", "create", v).assertOk();
    }
    var volumes = new dev.strata.volume.Volumes(s);
    volumes.use("used", "web");
    volumes.use("stale", "removed-long-ago");

    Strata.Run refused = Strata.run(store, "volume", "rm", "used");
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("volume 'used' is in use by container web");
    assertThat(Strata.run(store, "volume", "ls", "--dangling").assertOk().out())
        .contains("free").contains("stale").doesNotContain("used");
    assertThat(Strata.run(store, "volume", "ls").assertOk().out()).containsPattern("used +web");

    assertThat(Strata.run(store, "volume", "prune", "--dry-run").assertOk().out())
        .isEqualTo("would remove free\nwould remove stale\nwould remove 2 volumes\n");
    assertThat(json(Strata.run(store, "volume", "ls", "--json").assertOk())).hasSize(3);
    assertThat(Strata.run(store, "volume", "prune").assertOk().out()).contains("removed 2 volumes");
    assertThat(json(Strata.run(store, "volume", "ls", "--json").assertOk()).get(0).get("name").asText())
        .isEqualTo("used");

    assertThat(Strata.run(store, "volume", "rm", "--force", "used").assertOk().out()).isEqualTo("removed used\n");
    assertThat(json(Strata.run(store, "volume", "ls", "--json").assertOk())).isEmpty();
    assertThat(Strata.run(store, "gc").assertOk().out()).contains("freed 0 items");
  }

  @Test
  void exportToAFileImportsBackAndAHostileTarIsRefusedWithExitOne() throws Exception {
    Strata.run(store, "volume", "create", "src").assertOk();
    Path data = store.resolve("volumes/src/data");
    Files.createDirectories(data.resolve("etc"));
    Files.writeString(data.resolve("etc/conf"), "k=v\n");
    Files.createSymbolicLink(data.resolve("link"), Path.of("etc/conf"));
    Path backup = work.resolve("src.tar");
    assertThat(Strata.run(store, "volume", "export", "src", "-o", backup.toString()).assertOk().out()).isEmpty();
    assertThat(Strata.run(store, "volume", "import", backup.toString(), "dst").assertOk().out()).isEqualTo("dst\n");
    assertThat(store.resolve("volumes/dst/data/etc/conf")).hasContent("k=v\n");
    assertThat(Files.readSymbolicLink(store.resolve("volumes/dst/data/link"))).isEqualTo(Path.of("etc/conf"));
    Path again = work.resolve("dst.tar");
    Strata.run(store, "volume", "export", "dst", "--output", again.toString()).assertOk();
    assertThat(Files.readAllBytes(again)).isEqualTo(Files.readAllBytes(backup));

    Path hostile = Files.write(work.resolve("hostile.tar"), new TarBuilder().file("../escape", "x").toBytes());
    Strata.Run refused = Strata.run(store, "volume", "import", hostile.toString(), "evil");
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("cannot import " + hostile + " as volume 'evil': entry '../escape':"
        + " path contains '..'");
    assertThat(store.resolve("volumes/escape")).doesNotExist();
    assertThat(store.resolve("volumes/evil")).doesNotExist();
    assertThat(Strata.run(store, "volume", "import", backup.toString(), "dst").exit()).isEqualTo(1);
  }

  @Test
  void exportToStandardOutputAndImportFromStandardInputThroughAPipe() throws Exception {
    Strata.run(store, "volume", "create", "src").assertOk();
    Files.writeString(store.resolve("volumes/src/data/f"), "piped");
    Path backup = work.resolve("out.tar");
    Process export = new ProcessBuilder(StrataProcess.command(store, "volume", "export", "src"))
        .redirectOutput(backup.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    assertThat(export.waitFor()).isZero();
    Process imported = new ProcessBuilder(StrataProcess.command(store, "volume", "import", "-", "dst"))
        .redirectInput(backup.toFile()).redirectErrorStream(true).start();
    String said = new String(imported.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(imported.waitFor()).as(said).isZero();
    assertThat(store.resolve("volumes/dst/data/f")).hasContent("piped");
  }

  @Test
  void killNineInTheMiddleOfAnImportLeavesNoVolumeAndItsStagingIsSwept() throws Exception {
    Process p = new ProcessBuilder(StrataProcess.command(store, "volume", "import", "-", "half"))
        .redirectErrorStream(true).redirectOutput(work.resolve("log").toFile()).start();
    OutputStream stdin = p.getOutputStream();
    // The first files of a tar, and no more: the import waits for the rest, its files staged.
    stdin.write(new TarBuilder().zeros("file0", 1024).zeros("file1", 1024).zeros("file2", 1024).withoutEndMarker()
        .toBytes());
    stdin.flush();
    Path tmp = store.resolve("tmp");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (stagedFiles(tmp) < 2 && System.nanoTime() < deadline && p.isAlive()) {
      Thread.sleep(50);
    }
    assertThat(stagedFiles(tmp)).as(Files.readString(work.resolve("log"))).isGreaterThanOrEqualTo(2);
    p.destroyForcibly().waitFor();
    assertThat(store.resolve("volumes/half")).doesNotExist();
    assertThat(json(Strata.run(store, "volume", "ls", "--json").assertOk())).isEmpty();
    Strata.run(store, "volume", "create", "next").assertOk(); // takes the store lock: sweeps the dead one's staging
    assertThat(stagedFiles(tmp)).isZero();
  }

  @Test
  void killNineInTheMiddleOfAnExportLeavesTheOldFile() throws Exception {
    Strata.run(store, "volume", "create", "big").assertOk();
    try (var f = new java.io.RandomAccessFile(store.resolve("volumes/big/data/sparse").toFile(), "rw")) {
      f.setLength(1L << 30); // a second or more of writing: time to kill it
    }
    Path out = Files.writeString(work.resolve("backup.tar"), "old");
    Process p = new ProcessBuilder(StrataProcess.command(store, "volume", "export", "big", "-o", out.toString()))
        .redirectErrorStream(true).redirectOutput(work.resolve("log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (tempBytes(work) < (1 << 20) && System.nanoTime() < deadline && p.isAlive()) {
      Thread.sleep(10);
    }
    assertThat(tempBytes(work)).as(Files.readString(work.resolve("log"))).isGreaterThanOrEqualTo(1 << 20);
    p.destroyForcibly().waitFor();
    assertThat(out).hasContent("old");
    assertThat(Files.size(store.resolve("volumes/big/data/sparse"))).isEqualTo(1L << 30);
  }

  /** The bytes of the temp files an export to backup.tar writes beside it. */
  private static long tempBytes(Path dir) throws Exception {
    try (Stream<Path> all = Files.list(dir)) {
      long total = 0;
      for (Path p : all.filter(p -> p.getFileName().toString().startsWith(".backup.tar.")).toList()) {
        total += Files.size(p);
      }
      return total;
    }
  }

  /** The files of staged volumes in tmp/ (any process's). */
  private static long stagedFiles(Path tmp) throws Exception {
    if (!Files.isDirectory(tmp)) {
      return 0;
    }
    try (Stream<Path> all = Files.walk(tmp)) {
      return all.filter(p -> p.toString().contains("/volume-") && p.getFileName().toString().startsWith("file")).count();
    }
  }

  private static JsonNode json(Strata.Run run) throws Exception {
    return ImageJson.mapper().readTree(run.out());
  }
}
