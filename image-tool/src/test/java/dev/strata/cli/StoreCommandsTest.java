package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** images, inspect, tag, rmi, gc and fsck on a real store. */
class StoreCommandsTest {
  @TempDir Path store;

  @Test
  void tagInspectAndRmi() throws Exception {
    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
    Strata.run(store, "tag", "tiny", "tiny:copy").assertOk();
    assertThat(Strata.run(store, "images").assertOk().out()).contains("tiny ").contains("tiny:copy");
    String json = Strata.run(store, "inspect", "tiny:copy", "--json").assertOk().out();
    var info = dev.strata.image.json.ImageJson.mapper().readTree(json);
    assertThat(info.get("layers")).hasSize(3);
    assertThat(info.get("layers").get(1).get("entries").asInt()).isEqualTo(9);
    assertThat(info.get("cmd").get(0).asText()).isEqualTo("/bin/sh");
    Strata.run(store, "rmi", "tiny:copy").assertOk();
    assertThat(Strata.run(store, "images").assertOk().out()).doesNotContain("tiny:copy");
    assertThat(Strata.run(store, "rmi", "tiny:copy").exit()).isEqualTo(1);
  }

  @Test
  void gcRemovesOnlyWhatNoNameReaches() throws Exception {
    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "a").assertOk();
    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":umoci-repack", "b").assertOk();
    long objectsBefore = countFiles(store.resolve("objects"));

    Strata.Run nothing = Strata.run(store, "gc").assertOk();
    assertThat(nothing.out()).contains("freed 0 items");

    Strata.run(store, "rmi", "b").assertOk();
    Strata.Run dry = Strata.run(store, "gc", "--dry-run").assertOk();
    assertThat(dry.out()).contains("would remove blob").contains("would remove layer index");
    assertThat(countFiles(store.resolve("objects"))).isEqualTo(objectsBefore);

    Strata.run(store, "gc").assertOk();
    // b shares its bottom layer and every file content with a: only its own blobs and indexes go.
    StoredImage a = StoredImage.load(Store.open(store), "a");
    assertThat(Strata.run(store, "fsck").assertOk().out()).contains("all good");
    assertThat(Store.open(store).layers().list()).containsExactlyInAnyOrderElementsOf(a.config().diffIds());

    Strata.run(store, "rmi", "a").assertOk();
    Strata.run(store, "gc").assertOk();
    assertThat(Store.open(store).blobs().list(p -> { })).isEmpty();
    assertThat(Store.open(store).objects().list(p -> { })).isEmpty();
    assertThat(Store.open(store).layers().list()).isEmpty();
  }

  @Test
  void fsckNamesEveryBadPieceAndRepairLetsAPullRestoreThem() throws Exception {
    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
    Store s = Store.open(store);
    StoredImage image = StoredImage.load(s, "tiny");
    var layer = image.manifest().layers().get(2).digest();
    corrupt(s.blobs().path(layer));
    Path looseObject;
    try (Stream<Path> files = Files.walk(store.resolve("objects/sha256"))) {
      looseObject = files.filter(Files::isRegularFile).findFirst().orElseThrow();
    }
    corrupt(looseObject);
    Path index = s.layers().dir(image.config().diffIds().get(1)).resolve("index");
    corrupt(index);

    Strata.Run check = Strata.run(store, "fsck");
    assertThat(check.exit()).isEqualTo(1);
    assertThat(check.out()).contains("BAD blob " + layer).contains("BAD object sha256:" + looseObject.getFileName())
        .contains("BAD layer index " + image.config().diffIds().get(1));

    Strata.Run repair = Strata.run(store, "fsck", "--repair");
    assertThat(repair.exit()).isEqualTo(1);
    assertThat(repair.out()).contains("(removed)");

    Strata.Run pull = Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
    assertThat(pull.out()).contains("pulled:");
    assertThat(Strata.run(store, "fsck").assertOk().out()).contains("all good");
  }

  @Test
  void fsckFindsADamagedPack() throws Exception {
    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
    Path pack;
    try (Stream<Path> files = Files.list(store.resolve("objects/packs"))) {
      pack = files.filter(p -> p.toString().endsWith(".pack")).findFirst().orElseThrow();
    }
    corrupt(pack);
    Strata.Run check = Strata.run(store, "fsck");
    assertThat(check.exit()).isEqualTo(1);
    assertThat(check.out()).contains("BAD pack " + pack.getFileName().toString().replace(".pack", ""));
  }

  private static void corrupt(Path file) throws Exception {
    byte[] b = Files.readAllBytes(file);
    b[b.length / 2] ^= 0x55;
    Files.write(file, b);
  }

  private static long countFiles(Path dir) throws Exception {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).count();
    }
  }
}
