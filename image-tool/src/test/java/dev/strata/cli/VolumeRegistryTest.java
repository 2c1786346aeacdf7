package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.digest.Digest;
import dev.strata.image.json.ImageJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A volume following its container to another host through a real registry, as Flocker moved
 * a database's volume: {@code strata volume push} on one store, {@code strata volume pull} on a
 * second, each a process of its own. The chapter's counter continues from the same value on
 * the other side and back; a second snapshot moves alone (the registry's storage grows by it
 * only, the pull fetches it only); skopeo reads the artifact the push wrote; a pull killed
 * with SIGKILL leaves no volume, or the volume at its old snapshot, and the next pull ends it.
 */
class VolumeRegistryTest {
  @TempDir static Path shared;
  static RegistryFixture registry;
  @TempDir Path dir;

  @BeforeAll
  static void startRegistry() throws Exception {
    registry = RegistryFixture.start("plain", shared.resolve("registry"));
  }

  @AfterAll
  static void stopRegistry() throws Exception {
    if (registry != null) {
      registry.close();
    }
  }

  private String ref(String repoTag) {
    return "docker://" + registry.host() + "/" + repoTag;
  }

  @Test
  void aCounterFollowsItsVolumeToAnotherStoreAndBack() throws Exception {
    Path here = dir.resolve("here");
    Path there = dir.resolve("there");
    for (Path store : List.of(here, there)) {
      Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
    }
    assertThat(count(here)).contains("count=1");
    Strata.run(here, "volume", "commit", "counter", "-m", "one").assertOk();
    Strata.run(here, "volume", "push", "--tls-verify=false", "counter", ref("vols/counter:latest")).assertOk();

    String pulled = Strata.run(there, "volume", "pull", "--tls-verify=false", ref("vols/counter:latest"), "counter").assertOk().out();
    assertThat(pulled).contains("volume counter created at snapshot", "1 snapshot, 1 fetched");
    assertThat(count(there)).contains("count=2");
    Strata.run(there, "volume", "commit", "counter", "-m", "two").assertOk();
    String pushed = Strata.run(there, "volume", "push", "--tls-verify=false", "counter", ref("vols/counter:latest")).assertOk().out();
    assertThat(pushed).as("the first snapshot's blob was there").contains("exists");

    assertThat(Strata.run(here, "volume", "pull", "--tls-verify=false", ref("vols/counter:latest"), "counter").assertOk().out())
        .contains("volume counter moved forward to snapshot", "2 snapshots, 1 fetched");
    assertThat(count(here)).contains("count=3");
    assertThat(Strata.run(here, "volume", "log", "counter").assertOk().out()).contains("one", "two");

    // Another tool reads what the push wrote: an OCI manifest of Strata's artifact type.
    JsonNode manifest = ImageJson.mapper().readTree(RegistryFixture.skopeo("inspect", "--raw", "--tls-verify=false",
        ref("vols/counter:latest")));
    assertThat(manifest.get("mediaType").asText()).isEqualTo("application/vnd.oci.image.manifest.v1+json");
    assertThat(manifest.get("artifactType").asText()).isEqualTo("application/vnd.strata.volume.v1");
    assertThat(manifest.get("config").get("mediaType").asText())
        .isEqualTo("application/vnd.strata.volume.config.v1+json");
    assertThat(manifest.get("layers")).hasSize(2).allSatisfy(l -> assertThat(l.get("mediaType").asText())
        .isEqualTo("application/vnd.strata.volume.snapshot.v1.tar+zstd"));
  }

  @Test
  void theSecondSnapshotMovesOnlyItsChanges() throws Exception {
    Path here = dir.resolve("here");
    Path there = dir.resolve("there");
    Strata.run(here, "volume", "create", "db").assertOk();
    Path data = here.resolve("volumes/db/data");
    writeRandom(data.resolve("table"), 8 << 20, 1);
    Strata.run(here, "volume", "commit", "db").assertOk();
    Strata.run(here, "volume", "push", "--tls-verify=false", "db", ref("vols/db:v1")).assertOk();
    Strata.run(there, "volume", "pull", "--tls-verify=false", ref("vols/db:v1"), "db").assertOk();
    long stored = registryBytes();

    writeRandom(data.resolve("new-rows"), 64 << 10, 2);
    Strata.run(here, "volume", "commit", "db").assertOk();
    String pushed = Strata.run(here, "volume", "push", "--tls-verify=false", "db", ref("vols/db:v2")).assertOk().out();
    String pulled = Strata.run(there, "volume", "pull", "--tls-verify=false", ref("vols/db:v2"), "db").assertOk().out();

    long grown = registryBytes() - stored;
    assertThat(grown).as("the registry's storage grew by the new snapshot, not the 8 MiB below it")
        .isBetween(64L << 10, 1L << 20);
    assertThat(pushed.lines().filter(l -> l.endsWith("exists"))).as(pushed).hasSize(1);
    assertThat(pulled).contains("layer 1/2", "exists, skipped", "2 snapshots, 1 fetched");
    assertThat(digest(there.resolve("volumes/db/data/new-rows"))).isEqualTo(digest(data.resolve("new-rows")));
    assertThat(digest(there.resolve("volumes/db/data/table"))).isEqualTo(digest(data.resolve("table")));
  }

  @Test
  void aPullKilledWithSigkillLeavesNoVolumeOrTheOldSnapshot() throws Exception {
    Path here = dir.resolve("here");
    Strata.run(here, "volume", "create", "db").assertOk();
    Path data = here.resolve("volumes/db/data");
    Files.writeString(data.resolve("small"), "before");
    String before = Strata.run(here, "volume", "commit", "db").assertOk().out().strip();
    Strata.run(here, "volume", "push", "--tls-verify=false", "db", ref("vols/big:v1")).assertOk();
    writeRandom(data.resolve("big"), 256 << 20, 3);
    String after = Strata.run(here, "volume", "commit", "db").assertOk().out().strip();
    Strata.run(here, "volume", "push", "--tls-verify=false", "db", ref("vols/big:v2")).assertOk();

    // A new volume: killed while the big snapshot downloads, there is none.
    Path fresh = dir.resolve("fresh");
    StrataProcess.killWhenStaged(fresh, dir.resolve("fresh.log"), p -> true, "volume", "pull", "--tls-verify=false", ref("vols/big:v2"),
        "db");
    assertThat(Strata.run(fresh, "volume", "ls").assertOk().out()).doesNotContain("db");
    Strata.run(fresh, "volume", "pull", "--tls-verify=false", ref("vols/big:v2"), "db").assertOk();
    assertThat(digest(fresh.resolve("volumes/db/data/big"))).isEqualTo(digest(data.resolve("big")));

    // A volume at the first snapshot: killed while the second downloads, it stays at the first.
    Path old = dir.resolve("old");
    Strata.run(old, "volume", "pull", "--tls-verify=false", ref("vols/big:v1"), "db").assertOk();
    StrataProcess.killWhenStaged(old, dir.resolve("old.log"), p -> true, "volume", "pull", "--tls-verify=false", ref("vols/big:v2"), "db");
    JsonNode log = ImageJson.mapper().readTree(Strata.run(old, "volume", "log", "db", "--json").assertOk().out());
    assertThat(log).hasSize(1);
    assertThat(log.get(0).get("id").asText()).isEqualTo(before);
    assertThat(old.resolve("volumes/db/data/big")).doesNotExist();
    assertThat(old.resolve("volumes/db/data/small")).hasContent("before");

    assertThat(Strata.run(old, "volume", "pull", "--tls-verify=false", ref("vols/big:v2"), "db").assertOk().out())
        .contains("moved forward to snapshot " + after.substring(0, 12));
    assertThat(digest(old.resolve("volumes/db/data/big"))).isEqualTo(digest(data.resolve("big")));
    for (Path store : List.of(fresh, old)) {
      assertThat(Strata.run(store, "fsck").assertOk().out()).contains("all good");
      assertThat(StrataProcess.stagedBytes(store.resolve("tmp"), p -> true)).as("the dead pull's staging is swept")
          .isZero();
    }
  }

  private String count(Path store) throws Exception {
    Commands.Result r = StrataProcess.shell(store, "tiny", RunVolumeTest.COUNT, List.of("--rm", "-v", "counter:/count"));
    assertThat(r.exit()).as(r.out()).isZero();
    return r.out();
  }

  /** Writes {@code size} random bytes (which no compression shrinks) to {@code file}. */
  private static void writeRandom(Path file, int size, long seed) throws Exception {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    Files.write(file, bytes);
  }

  private static Digest digest(Path file) throws Exception {
    return Digest.sha256(Files.readAllBytes(file));
  }

  /** The bytes of the blobs the registry stores. */
  private static long registryBytes() throws Exception {
    try (Stream<Path> files = Files.walk(registry.state.resolve("storage"))) {
      return files.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().equals("data"))
          .mapToLong(p -> p.toFile().length()).sum();
    }
  }
}
