package dev.strata.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.build.FileAttributes;
import dev.strata.build.ImageBuilder;
import dev.strata.image.Platform;
import dev.strata.layout.Containers;
import dev.strata.layout.GarbageCollector;
import dev.strata.layout.StoredImage;
import dev.strata.transfer.ImageLocation;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The volume store: names, labels, users (stale ones too), removal, prune, and two creators of one name. */
class VolumesTest extends VolumeStoreTest {
  @Test
  void createdVolumeHasItsLabelsAnEmptyDataDirectoryAndItsMetadataOnDisk() throws Exception {
    Volume v = volumes.create("db-1.data_x", Map.of("team", "core", "tier", "gold"));
    assertThat(v.name()).isEqualTo("db-1.data_x");
    assertThat(v.labels()).containsExactly(Map.entry("team", "core"), Map.entry("tier", "gold"));
    assertThat(v.dir()).isEqualTo(store.root().resolve("volumes/db-1.data_x"));
    assertThat(v.data()).isEmptyDirectory();
    assertThat(Files.readString(v.dir().resolve("volume.json"))).contains("\"name\"", "db-1.data_x", "\"team\"", "core");
    assertThat(volumes.get("db-1.data_x")).contains(v);
    assertThat(volumes.list()).containsExactly(v);
    assertThat(staged()).as("nothing staged is left behind").isEmpty();
  }

  @Test
  void namesAreCheckedAsDockerChecksThemAndErrorsNameTheVolume() throws Exception {
    for (String bad : List.of("", "-a", ".a", "_a", "a/b", "..", "a b", "ü", "a".repeat(256))) {
      assertThatThrownBy(() -> volumes.create(bad, Map.of()))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid volume name '" + bad + "'");
    }
    volumes.create("a".repeat(255), Map.of());
    volumes.create("x", Map.of());
    assertThatThrownBy(() -> volumes.create("x", Map.of()))
        .isInstanceOf(FileAlreadyExistsException.class).hasMessage("volume 'x' already exists");
    assertThatThrownBy(() -> volumes.remove("nope", false)).hasMessage("no volume named 'nope'");
    assertThatThrownBy(() -> volumes.create("y", Map.of("", "v"))).hasMessageContaining("invalid label '=v'");
    assertThat(volumes.list()).extracting(Volume::name).containsExactly("a".repeat(255), "x");
  }

  @Test
  void aVolumeInUseIsNotRemovedNorPrunedButAStaleUserDoesNotCount() throws Exception {
    makeContainer("c1");
    makeContainer("c2");
    Volume used = volumes.create("used", Map.of());
    volumes.create("free", Map.of());
    Volume stale = volumes.create("stale", Map.of());
    volumes.use("used", "c1");
    volumes.use("used", "c2");
    volumes.use("stale", "gone"); // no such container: a run that died before making it
    Files.writeString(used.data().resolve("file"), "kept");

    assertThat(volumes.users(used)).containsExactly("c1", "c2");
    assertThat(volumes.users(stale)).isEmpty();
    assertThat(volumes.dangling(used)).isFalse();
    assertThat(volumes.dangling(stale)).isTrue();
    assertThatThrownBy(() -> volumes.remove("used", false)).isInstanceOf(IllegalStateException.class)
        .hasMessage("volume 'used' is in use by containers c1, c2: remove them first, or use --force");

    assertThat(volumes.prune(true)).containsExactly("free", "stale");
    assertThat(volumes.list()).hasSize(3);
    assertThat(volumes.prune(false)).containsExactly("free", "stale");
    assertThat(volumes.list()).extracting(Volume::name).containsExactly("used");
    assertThat(used.data().resolve("file")).hasContent("kept");

    assertThat(volumes.release("used", "c1")).isTrue();
    assertThat(volumes.release("used", "c1")).isFalse();
    new Containers(store).remove(new Containers(store).get("c2").orElseThrow());
    assertThat(volumes.dangling(used)).as("c2 is gone: its record is stale").isTrue();
    volumes.remove("used", false);
    assertThat(volumes.list()).isEmpty();
    assertThat(store.root().resolve("volumes")).isEmptyDirectory();
    assertThat(staged()).isEmpty();
  }

  @Test
  void forceRemovesAVolumeInUseAndItsReadOnlyDirectories() throws Exception {
    makeContainer("c1");
    Volume v = volumes.create("v", Map.of());
    volumes.use("v", "c1");
    Path locked = Files.createDirectories(v.data().resolve("a/b"));
    Files.writeString(locked.resolve("f"), "x");
    Files.setPosixFilePermissions(locked, java.nio.file.attribute.PosixFilePermissions.fromString("r-x------"));
    volumes.remove("v", true);
    assertThat(volumes.get("v")).isEmpty();
    assertThat(v.dir()).doesNotExist();
  }

  @Test
  void useOfAMissingVolumeOrABadContainerNameFails() throws Exception {
    assertThatThrownBy(() -> volumes.use("none", "c1")).hasMessage("no volume named 'none'");
    volumes.create("v", Map.of());
    assertThatThrownBy(() -> volumes.use("v", "../x")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid container name '../x'");
  }

  @Test
  void gcLeavesVolumesAlone() throws Exception {
    Volume v = volumes.create("v", Map.of());
    Files.writeString(v.data().resolve("f"), "data");
    GarbageCollector.Report report = GarbageCollector.run(store, false);
    assertThat(report.removed()).noneMatch(r -> r.contains("volume"));
    assertThat(v.data().resolve("f")).hasContent("data");
    assertThat(volumes.list()).containsExactly(v);
  }

  @Test
  void ofConcurrentCreatorsOfOneNameOneWinsAndTheOthersAreToldItExists() throws Exception {
    int n = 6;
    CyclicBarrier start = new CyclicBarrier(n);
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<Volume>> results = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String label = Integer.toString(i);
        Callable<Volume> create = () -> {
          start.await();
          return volumes.create("same", Map.of("creator", label));
        };
        results.add(pool.submit(create));
      }
      List<Volume> won = new ArrayList<>();
      List<Throwable> lost = new ArrayList<>();
      for (Future<Volume> f : results) {
        try {
          won.add(f.get());
        } catch (java.util.concurrent.ExecutionException e) {
          lost.add(e.getCause());
        }
      }
      assertThat(won).hasSize(1);
      assertThat(lost).hasSize(n - 1).allSatisfy(t -> assertThat(t)
          .isInstanceOf(FileAlreadyExistsException.class).hasMessage("volume 'same' already exists"));
      assertThat(volumes.require("same").labels()).isEqualTo(won.get(0).labels());
    } finally {
      pool.shutdownNow();
    }
    assertThat(staged()).as("the losers' staged volumes are gone").isEmpty();
  }

  private void makeContainer(String name) throws Exception {
    if (store.resolve("img").isEmpty()) {
      var image = ImageBuilder.scratch(new Platform("linux", "amd64", null))
          .file("/f", "x".getBytes(StandardCharsets.UTF_8), FileAttributes.mode(0644)).build();
      try (ImageLocation to = ImageLocation.inStore(store, "img")) {
        to.write(image);
      }
    }
    new Containers(store).getOrCreate(name, StoredImage.load(store, "img"));
  }
}
