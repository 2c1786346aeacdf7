package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.image.json.ImageJson;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code strata layers} and {@code strata tree} against oracles that share no code with them:
 * GNU tar's listing of every layer blob ({@link TarOracle}) for what each layer adds, modifies,
 * deletes and wastes, and umoci's unpacked rootfs for the final tree and the bytes it shows.
 */
class LayersCommandTest {
  @TempDir Path dir;

  @Test
  void craftedImageMatchesTarUmociAndHandCounts() throws Exception {
    Path layout = InspectFixtures.write(dir.resolve("layout"), "v1", 4);
    Path store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + layout + ":v1", "crafted").assertOk();
    JsonNode j = checkAgainstOracles(store, "crafted");

    // The numbers worked out by hand in InspectFixtures' terms.
    long[][] expected = {
        // added, modified, deleted, fileBytes, wasted
        {11, 0, 0, 9837, 4837},
        {4, 1, 6, 2670, 1600},
        {1, 2, 3, 1520, 0},
        {1, 0, 2, 5, 0}};
    for (int i = 0; i < 4; i++) {
      JsonNode l = j.get("layers").get(i);
      assertThat(new long[] {l.get("added").asLong(), l.get("modified").asLong(), l.get("deleted").asLong(),
          l.get("fileBytes").asLong(), l.get("wastedBytes").asLong()}).as("layer %d", i + 1).containsExactly(expected[i]);
    }
    assertThat(j.get("layers").get(1).get("dirsDeleted").asInt()).isEqualTo(3); // usr/lib/sub, d, d/sub
    assertThat(j.get("layers").get(3).get("dirsAdded").asInt()).isEqualTo(1);
    assertThat(j.get("wastedBytes").asLong()).isEqualTo(6437);
    assertThat(j.get("efficiency").asDouble()).isCloseTo(1 - 6437.0 / 14032, org.assertj.core.data.Offset.offset(1e-9));
    // The hard-linked file deleted by both names wastes its bytes once; big, linked from
    // layer 3 to layer 1's file, wastes nothing though both of its first names are gone.
    assertThat(j.get("wastedFiles").findValuesAsText("path")).contains("new/file").doesNotContain("new/file2",
        "usr/bin/big", "usr/bin/big2");
    assertThat(j.get("layers").get(1).get("deletedPaths").toString()).contains("usr/lib/sub/deep", "d/sub/f");
    assertThat(j.get("layers").get(2).get("createdBy").asText()).isEqualTo("step for layer 3");
  }

  @ParameterizedTest
  @ValueSource(strings = {"3layer", "umoci-repack"})
  void tinyImagesMatchTarAndUmoci(String tag) throws Exception {
    Path store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":" + tag, "tiny").assertOk();
    JsonNode j = checkAgainstOracles(store, "tiny");
    assertThat(j.get("layers").get(1).get("deleted").asInt()).isGreaterThan(0);
  }

  @Test
  void debianImagesMatchTarAndUmociWhenBuilt() throws Exception {
    Path debian = TestImages.debian();
    org.junit.jupiter.api.Assumptions.assumeTrue(debian != null, "STRATA_TEST_IMAGES has no debian image");
    Path store = dir.resolve("store");
    String tag = Files.readString(debian.resolve("index.json")).contains("minbase-plus") ? "minbase-plus" : "minbase";
    Strata.run(store, "pull", "oci:" + debian + ":" + tag, "debian").assertOk();
    checkAgainstOracles(store, "debian");
  }

  @Test
  void aLayoutIsInspectedWithoutPullingItTheSameAsTheStore() throws Exception {
    Path layout = InspectFixtures.write(dir.resolve("layout"), "v1", 4);
    Path store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + layout + ":v1", "crafted").assertOk();
    JsonNode stored = json(Strata.run(store, "layers", "crafted", "--json", "--paths"));
    Path docker = dir.resolve("crafted-docker.tar");
    Strata.run(store, "push", "crafted", "docker-archive:" + docker + ":crafted:latest").assertOk();
    Path empty = dir.resolve("empty-store");
    JsonNode streamed = json(Strata.run(empty, "layers", "oci:" + layout + ":v1", "--json", "--paths"));
    ((com.fasterxml.jackson.databind.node.ObjectNode) streamed).put("name", "crafted");
    assertThat(streamed).isEqualTo(stored);
    // Nothing was stored: the empty store has no blob, object or index.
    assertThat(Commands.run(List.of("find", empty.resolve("blobs").toString(), empty.resolve("objects").toString(),
        empty.resolve("layers").toString(), "-type", "f"))).isEmpty();
    // A store that lost its layer indexes (fsck --repair removed them) reads the layers' blobs.
    Commands.run(List.of("rm", "-r", store.resolve("layers/sha256").toString()));
    assertThat(json(Strata.run(store, "layers", "crafted", "--json", "--paths"))).isEqualTo(stored);
    // An oci-archive too.
    Path archive = dir.resolve("crafted.tar");
    Commands.run(List.of("tar", "-C", layout.toString(), "-cf", archive.toString(), "oci-layout", "index.json", "blobs"));
    JsonNode fromArchive = json(Strata.run(empty, "layers", "oci-archive:" + archive + ":v1", "--json"));
    assertThat(fromArchive.get("wastedBytes").asLong()).isEqualTo(6437);
    // And a docker-archive, whose manifest the source makes up: its layers are plain tars, so
    // only the blob's digest, size and media type differ.
    JsonNode fromDocker = json(Strata.run(empty, "layers", "docker-archive:" + docker, "--json", "--paths"));
    for (JsonNode l : List.of(fromDocker.get("layers"), stored.get("layers"))) {
      l.forEach(layer -> ((com.fasterxml.jackson.databind.node.ObjectNode) layer).remove(List.of("digest", "size", "mediaType")));
    }
    assertThat(fromDocker.get("layers")).isEqualTo(stored.get("layers"));
  }

  @Test
  void aLayoutWhoseLayerIsNotWhatItsConfigSaysIsRefused() throws Exception {
    byte[] said = OciLayouts.tar(Map.of("a", "x"));
    byte[] held = OciLayouts.gzip(OciLayouts.tar(Map.of("a", "y")));
    Path layout = OciLayouts.write(dir.resolve("lie"), "v1", List.of(said), List.of(held),
        dev.strata.image.MediaType.OCI_LAYER_GZIP);
    Strata.Run run = Strata.run(dir.resolve("store"), "layers", "oci:" + layout + ":v1");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("uncompressed content has diff id").contains("but the config says");
  }

  @Test
  void theGateExitsOneWithAReasonWhenTheImageIsWorse() throws Exception {
    Path layout = InspectFixtures.write(dir.resolve("layout"), "v1", 4);
    Path store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + layout + ":v1", "crafted").assertOk();
    // efficiency 0.5413, 6437 bytes wasted
    Strata.Run bad = Strata.run(store, "layers", "crafted", "--fail-efficiency", "0.9", "--fail-wasted", "10MB");
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.err()).contains("efficiency 0.5413 is below 0.9").doesNotContain("wasted, more than");
    Strata.Run wasted = Strata.run(store, "layers", "crafted", "--fail-wasted", "5kB");
    assertThat(wasted.exit()).isEqualTo(1);
    assertThat(wasted.err()).contains("6437 bytes (6.44 kB) are wasted, more than 5kB");
    Strata.run(store, "layers", "crafted", "--fail-efficiency", "0.54", "--fail-wasted", "6437").assertOk();
    Strata.run(store, "layers", "crafted", "--json", "--fail-efficiency", "0.5", "--fail-wasted", "10MB").assertOk();
    assertThat(Strata.run(store, "layers", "crafted", "--fail-efficiency", "1.5").exit()).isEqualTo(2);
    assertThat(Strata.run(store, "layers", "crafted", "--fail-wasted", "lots").exit()).isEqualTo(2);
    assertThat(Strata.run(store, "layers", "nothing").exit()).isEqualTo(1);
  }

  @Test
  void layerTreeMarksWhatTheLayerChanged() throws Exception {
    Path layout = InspectFixtures.write(dir.resolve("layout"), "v1", 4);
    Path store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + layout + ":v1", "crafted").assertOk();
    JsonNode changes = json(Strata.run(store, "tree", "crafted", "--layer", "2", "--changes", "--json"));
    Map<String, String> marks = new TreeMap<>();
    changes.forEach(n -> marks.put(n.get("path").asText(), n.get("change").asText()));
    assertThat(marks).containsEntry("etc/a", "modified").containsEntry("etc/b", "deleted")
        .containsEntry("usr/lib/x", "deleted").containsEntry("usr/lib/sub", "deleted").containsEntry("usr/lib/z", "added")
        .containsEntry("new", "added").containsEntry("new/file2", "added").containsEntry("d", "deleted")
        .containsEntry("d/sub/f", "deleted").doesNotContainKey("etc").doesNotContainKey("shared1");
    Strata.Run text = Strata.run(store, "tree", "crafted", "--layer", "3", "/usr").assertOk();
    assertThat(text.out()).containsPattern("(?m)^A  hrw-r--r--  0/0 +5.00 kB +3  /usr/bin/big3 link to /usr/bin/big2$")
        .containsPattern("(?m)^   drwxr-xr-x  0/0 +3  /usr$").doesNotContain("/etc");
    JsonNode keep = json(Strata.run(store, "tree", "crafted", "keep", "--json"));
    assertThat(keep).hasSize(1);
    assertThat(keep.get(0).get("type").asText()).isEqualTo("file");
    assertThat(Strata.run(store, "tree", "crafted", "/no/such").exit()).isEqualTo(1);
    assertThat(Strata.run(store, "tree", "crafted", "--layer", "5").exit()).isEqualTo(2);
  }

  /** Compares strata's layers and tree of {@code name} with tar's listings and umoci's rootfs; returns the layers JSON. */
  private JsonNode checkAgainstOracles(Path store, String name) throws Exception {
    JsonNode j = json(Strata.run(store, "layers", name, "--json", "--paths"));
    List<Path> blobs = new ArrayList<>();
    j.get("layers").forEach(l -> blobs.add(store.resolve("blobs/sha256").resolve(l.get("digest").asText().substring(7))));
    TarOracle oracle = TarOracle.of(blobs);
    for (int i = 0; i < blobs.size(); i++) {
      JsonNode l = j.get("layers").get(i);
      TarOracle.Layer o = oracle.layers.get(i);
      assertThat(paths(l.get("addedPaths"))).as("added by layer %d", i + 1).isEqualTo(o.added());
      assertThat(paths(l.get("modifiedPaths"))).as("modified by layer %d", i + 1).isEqualTo(o.modified());
      assertThat(paths(l.get("deletedPaths"))).as("deleted by layer %d", i + 1).isEqualTo(o.deleted());
      assertThat(l.get("added").asInt()).isEqualTo(o.added().size());
      assertThat(l.get("fileBytes").asLong()).as("file bytes of layer %d", i + 1).isEqualTo(o.fileBytes());
      assertThat(l.get("wastedBytes").asLong()).as("wasted bytes of layer %d", i + 1).isEqualTo(o.wasted());
    }
    assertThat(j.get("wastedBytes").asLong()).isEqualTo(oracle.wasted());

    // umoci's rootfs: the same paths and types as strata's final tree, and the bytes it shows
    // (each inode once) are the layers' file bytes less the wasted ones.
    Path bundle = dir.resolve("bundle-" + name);
    Commands.run(List.of("umoci", "unpack", "--image", store + ":" + name, bundle.toString()));
    Map<String, Character> rootfs = new TreeMap<>();
    Map<String, Long> inodeBytes = new HashMap<>();
    for (String rec : Commands.run(List.of("find", bundle.resolve("rootfs").toString(), "-mindepth", "1",
        "-printf", "%y %i %s %P\\0")).split("\0")) {
      String[] f = rec.split(" ", 4);
      rootfs.put(f[3], f[0].charAt(0));
      if (f[0].equals("f")) {
        inodeBytes.put(f[1], Long.parseLong(f[2]));
      }
    }
    Map<String, Character> strata = new TreeMap<>();
    for (JsonNode n : json(Strata.run(store, "tree", name, "--json"))) {
      if (!n.get("path").asText().isEmpty()) {
        strata.put(n.get("path").asText(), switch (n.get("type").asText()) {
          case "file", "hardlink" -> 'f';
          case "symlink" -> 'l';
          default -> n.get("type").asText().charAt(0);
        });
      }
    }
    assertThat(strata).isEqualTo(rootfs);
    Map<String, Character> fromTar = new TreeMap<>();
    oracle.finalTree.forEach((p, t) -> fromTar.put(p, t == '-' || t == 'h' ? 'f' : t));
    assertThat(fromTar).isEqualTo(rootfs);
    long shown = inodeBytes.values().stream().mapToLong(Long::longValue).sum();
    assertThat(j.get("fileBytes").asLong() - j.get("wastedBytes").asLong()).isEqualTo(shown);
    return j;
  }

  private static TreeSet<String> paths(JsonNode list) {
    TreeSet<String> out = new TreeSet<>();
    list.forEach(p -> out.add(p.asText()));
    return out;
  }

  static JsonNode json(Strata.Run run) throws Exception {
    run.assertOk();
    return ImageJson.mapper().readTree(run.out().getBytes(StandardCharsets.UTF_8));
  }
}
