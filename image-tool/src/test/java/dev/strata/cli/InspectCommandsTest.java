package dev.strata.cli;

import static dev.strata.cli.LayersCommandTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code strata history}, {@code diff} and {@code df} on the crafted image of {@link InspectFixtures}. */
class InspectCommandsTest {
  @TempDir Path dir;

  private Path store() throws Exception {
    Path store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + InspectFixtures.write(dir.resolve("layout"), "v1", 4) + ":v1", "crafted")
        .assertOk();
    return store;
  }

  @Test
  void historyGivesEachNonEmptyStepTheNextLayer() throws Exception {
    Path store = store();
    JsonNode steps = json(Strata.run(store, "history", "crafted", "--json"));
    assertThat(steps).hasSize(5);
    assertThat(steps.get(2).get("emptyLayer").asBoolean()).isTrue();
    assertThat(steps.get(2).get("layer").isNull()).isTrue();
    assertThat(steps.get(2).get("createdBy").asText()).isEqualTo("ENV X=1");
    assertThat(steps.get(3).get("layer").get("number").asInt()).isEqualTo(3);
    assertThat(steps.get(3).get("comment").asText()).isEqualTo("layer 3");
    assertThat(steps.get(4).get("layer").get("digest").asText())
        .isEqualTo(json(Strata.run(store, "layers", "crafted", "--json")).get("layers").get(3).get("digest").asText());
    String text = Strata.run(store, "history", "crafted").assertOk().out();
    assertThat(text).containsPattern("(?m)^   3      -  2001-01-01T00:00:00Z +0 B  ENV X=1$");
    // From a layout, without a store copy, and for an image whose config has no history.
    JsonNode plain = json(Strata.run(dir.resolve("other"), "history",
        "oci:" + OciLayouts.write(dir.resolve("plain"), "p", List.of(OciLayouts.tar(Map.of("a", "x")))) + ":p", "--json"));
    assertThat(plain).hasSize(1);
    assertThat(plain.get(0).get("createdBy").isNull()).isTrue();
    assertThat(plain.get(0).get("layer").get("number").asInt()).isEqualTo(1);
  }

  @Test
  void diffComparesByContentNotByLayer() throws Exception {
    Path store = store();
    JsonNode d = json(Strata.run(store, "diff", "crafted@2", "crafted@3", "--json"));
    assertThat(d.get("added").findValuesAsText("path")).containsExactly("usr/bin/big3");
    assertThat(d.get("deleted").findValuesAsText("path")).containsExactly("keep/k", "new/file", "new/file2");
    // etc/a was written again with the same bytes: not a change.
    assertThat(d.get("changed")).hasSize(1);
    assertThat(d.get("changed").get(0).get("path").asText()).isEqualTo("keep");
    assertThat(d.get("changed").get(0).get("what").toString()).isEqualTo("[\"type\"]");

    JsonNode first = json(Strata.run(store, "diff", "crafted@1", "crafted@2", "--json"));
    Map<String, String> changed = new TreeMap<>();
    first.get("changed").forEach(c -> changed.put(c.get("path").asText(), c.get("what").toString()));
    assertThat(changed).containsExactly(Map.entry("etc/a", "[\"content\"]"));
    assertThat(first.get("deleted").findValuesAsText("path")).contains("etc/b", "d", "d/sub/f", "usr/lib/sub",
        "usr/bin/big").doesNotContain("usr/bin/big2");

    String text = Strata.run(store, "diff", "crafted@2", "crafted@3").assertOk().out();
    assertThat(text).contains("C /keep  (type)\n", "D /keep/k\n", "A /usr/bin/big3 link to /usr/bin/big2\n",
        "1 added, 1 changed, 3 deleted\n");
    // The same image from the store and from its layout: no difference.
    assertThat(Strata.run(store, "diff", "crafted", "oci:" + dir.resolve("layout") + ":v1").assertOk().out())
        .isEqualTo("0 added, 0 changed, 0 deleted\n");
    assertThat(Strata.run(store, "diff", "crafted@9", "crafted").exit()).isEqualTo(2);
  }

  @Test
  void dfCountsSharedBlobsAndDedupedFilesTruthfully() throws Exception {
    Path store = store();
    Path half = InspectFixtures.write(dir.resolve("half"), "v1", 2);
    Strata.run(store, "pull", "oci:" + half + ":v1", "half").assertOk();
    JsonNode df = json(Strata.run(store, "df", "--json"));

    // Independently: the two layouts hold exactly the blobs of their images.
    Map<String, Long> full = blobSizes(dir.resolve("layout"));
    Map<String, Long> part = blobSizes(half);
    long logical = sum(full) + sum(part);
    Map<String, Long> union = new HashMap<>(full);
    union.putAll(part);
    long shared = part.entrySet().stream().filter(e -> full.containsKey(e.getKey())).mapToLong(Map.Entry::getValue).sum();
    assertThat(df.get("logicalBytes").asLong()).isEqualTo(logical);
    assertThat(df.get("blobBytes").asLong()).isEqualTo(sum(union));
    assertThat(df.get("sharedBytes").asLong()).isEqualTo(shared).isPositive();
    // 14,032 file bytes in the four layers; "copy" repeats "shared1" (1,000 bytes) and layer 3's
    // etc/a repeats layer 2's (1,500 bytes).
    assertThat(df.get("layerFileBytes").asLong()).isEqualTo(14032);
    assertThat(df.get("objectBytes").asLong()).isEqualTo(14032 - 2500);
    assertThat(df.get("dedupSavedBytes").asLong()).isEqualTo(2500);
    long onDisk = 0;
    for (String size : Commands.run(List.of("find", store.toString(), "-type", "f", "-printf", "%s\\n")).split("\n")) {
      onDisk += Long.parseLong(size);
    }
    assertThat(df.get("storedBytes").asLong()).isEqualTo(onDisk);
    assertThat(df.get("stored").get("blobs").asLong()).isEqualTo(sum(union));
    JsonNode halfRow = df.get("images").get(1);
    assertThat(halfRow.get("name").asText()).isEqualTo("half");
    assertThat(halfRow.get("size").asLong()).isEqualTo(sum(part));
    assertThat(halfRow.get("uniqueSize").asLong()).isEqualTo(sum(part) - shared);
    assertThat(Strata.run(store, "df").assertOk().out()).contains("Saved by file-level dedup", "2500");
  }

  private static Map<String, Long> blobSizes(Path layout) throws Exception {
    Map<String, Long> out = new TreeMap<>();
    try (Stream<Path> files = Files.list(layout.resolve("blobs/sha256"))) {
      for (Path f : (Iterable<Path>) files::iterator) {
        out.put(f.getFileName().toString(), Files.size(f));
      }
    }
    return out;
  }

  private static long sum(Map<String, Long> sizes) {
    return sizes.values().stream().mapToLong(Long::longValue).sum();
  }
}
