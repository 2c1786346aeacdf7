package dev.strata.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.digest.Digest;
import dev.strata.image.json.ImageJson;
import dev.strata.layer.IngestLimits;
import dev.strata.layout.Store;
import dev.strata.layout.VolumeSnapshots.Snapshot;
import dev.strata.transfer.ImageLocation;
import dev.strata.transfer.ImageSource;
import dev.strata.transfer.Puller;
import dev.strata.transfer.Transports;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A volume's snapshots moved between two stores through an OCI layout (the registry case,
 * through a real registry, is the command line's VolumeRegistryTest): the same snapshots and
 * the same tree arrive, a second snapshot moves alone, a branch is only moved forward unless
 * forced, and an artifact whose records, layers or types do not agree makes no volume.
 */
class VolumeTransferTest extends VolumeStoreTest {
  private Path layout;
  /** The store "on another host". */
  private Store other;
  private Volumes there;

  @BeforeEach
  void openOther() throws IOException {
    layout = dir.resolve("layout");
    other = Store.open(dir.resolve("other"));
    there = new Volumes(other);
  }

  @Test
  void aPulledVolumeHasTheSameSnapshotsAndTheSameTree() throws Exception {
    Volume v = volumes.create("db", Map.of("app", "counter"));
    fillAllKinds(v.data());
    Snapshot first = volumes.commit("db", "first");
    byte[] firstTree = exported("db");
    Files.writeString(v.data().resolve("later"), "the second snapshot's own file");
    volumes.commit("db", "second");
    push("db");

    Volumes.Pulled pulled = pull("copy", false);

    assertThat(pulled.outcome()).isEqualTo(Volumes.PullOutcome.CREATED);
    assertThat(pulled.layers()).extracting(Puller.LayerEvent::status)
        .containsExactly(Puller.Status.PULLED, Puller.Status.PULLED);
    assertThat(there.log("copy")).isEqualTo(volumes.log("db"));
    assertThat(there.require("copy").labels()).containsEntry("app", "counter");
    assertThat(there.currentBranch("copy")).isEqualTo("main");
    assertThat(exported(there, "copy")).as("owners, modes, times, xattrs, links, bytes").isEqualTo(exported("db"));
    assertThat(there.changed("copy")).isFalse();
    there.reset("copy", first.id(), false);
    assertThat(exported(there, "copy")).isEqualTo(firstTree);
    assertThat(staged(other)).isEmpty();
  }

  @Test
  void theSecondSnapshotMovesAloneAndMovesTheBranchForward() throws Exception {
    Volume v = volumes.create("db", Map.of());
    Files.writeString(v.data().resolve("big"), "x".repeat(1 << 20));
    volumes.commit("db", "first");
    push("db");
    pull("db", false);
    long blobsAfterFirst = blobs();

    Files.writeString(v.data().resolve("counter"), "2");
    Snapshot second = volumes.commit("db", "second");
    push("db");
    Volumes.Pulled pulled = pull("db", false);

    assertThat(blobs() - blobsAfterFirst).as("the second push wrote its layer, config and manifest only")
        .isEqualTo(3);
    assertThat(pulled.outcome()).isEqualTo(Volumes.PullOutcome.FAST_FORWARD);
    assertThat(pulled.layers()).extracting(Puller.LayerEvent::status)
        .containsExactly(Puller.Status.EXISTS, Puller.Status.PULLED);
    assertThat(pulled.snapshot().id()).isEqualTo(second.id());
    assertThat(exported(there, "db")).isEqualTo(exported("db"));
    assertThat(pull("db", false).outcome()).isEqualTo(Volumes.PullOutcome.UP_TO_DATE);
  }

  @Test
  void aBranchIsMovedOnlyForwardAndChangesAreKeptUnlessForced() throws Exception {
    Volume v = counted("1");
    Volume copy = pull("db", false).volume();

    Files.writeString(copy.data().resolve("n"), "local");
    assertThat(pull("db", false).outcome()).isEqualTo(Volumes.PullOutcome.UP_TO_DATE);
    assertThat(Files.readString(copy.data().resolve("n"))).isEqualTo("local");
    Files.writeString(v.data().resolve("n"), "2");
    volumes.commit("db", "two");
    push("db");
    assertThatThrownBy(() -> pull("db", false)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("has changes since snapshot");
    assertThat(Files.readString(copy.data().resolve("n"))).isEqualTo("local");

    Snapshot mine = there.commit("db", "a snapshot of its own");
    assertThatThrownBy(() -> pull("db", false)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("has snapshots the pulled one lacks");
    assertThat(there.log("db").get(0)).isEqualTo(mine);

    Volumes.Pulled forced = pull("db", true);
    assertThat(forced.outcome()).isEqualTo(Volumes.PullOutcome.RESET);
    assertThat(Files.readString(copy.data().resolve("n"))).isEqualTo("2");
    assertThat(there.log("db")).isEqualTo(volumes.log("db"));
  }

  @Test
  void aBranchAheadOfThePulledOneStaysWhereItIs() throws Exception {
    Volume v = counted("1");
    Volume copy = pull("db", false).volume();
    Files.writeString(copy.data().resolve("n"), "2");
    Snapshot ahead = there.commit("db", "two, here only");

    Volumes.Pulled pulled = pull("db", false);

    assertThat(pulled.outcome()).isEqualTo(Volumes.PullOutcome.AHEAD);
    assertThat(pulled.snapshot()).isEqualTo(ahead);
    assertThat(Files.readString(copy.data().resolve("n"))).isEqualTo("2");
  }

  @Test
  void anArtifactWhoseRecordsLayersOrTypesDisagreeMakesNoVolume() throws Exception {
    Volume v = volumes.create("db", Map.of());
    Files.writeString(v.data().resolve("n"), "1");
    volumes.commit("db", "one");
    Files.writeString(v.data().resolve("n"), "2");
    volumes.commit("db", "two");
    push("db");
    byte[] manifest = manifestBytes();
    byte[] config = blob(configDigest(manifest));

    refused(m -> ((ObjectNode) m).put("artifactType", "application/vnd.example.other"), c -> { },
        "is not a Strata volume");
    refused(m -> { }, c -> ((ObjectNode) c.get("snapshots").get(1)).put("message", "rewritten"),
        "claims id");
    refused(m -> { }, c -> ((ArrayNode) c.get("snapshots")).remove(0), "lists 1 snapshots but the manifest has 2");
    refused(m -> ((ArrayNode) m.get("layers")).insert(0, m.get("layers").get(1)), c -> {
      ArrayNode s = (ArrayNode) c.get("snapshots");
      s.insert(0, s.get(1));
    }, "has parent");
    refused(m -> ((ObjectNode) m.get("layers").get(0)).put("mediaType", "application/vnd.oci.image.layer.v1.tar+zstd"),
        c -> { }, "travels as application/vnd.strata.volume.snapshot.v1.tar+zstd");
    refused(m -> ((ObjectNode) m.get("layers").get(1)).put("digest", ((ObjectNode) m.get("layers").get(0))
        .get("digest").asText()), c -> { }, "but its snapshot");

    // The untouched artifact, put back, still pulls: the refusals left nothing in the way.
    put(manifest, config);
    assertThat(pull("db", false).outcome()).isEqualTo(Volumes.PullOutcome.CREATED);
  }

  @Test
  void aVolumeWithoutSnapshotsIsNotPushed() throws Exception {
    volumes.create("db", Map.of());
    assertThatThrownBy(() -> push("db")).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("commit first");
  }

  // --- helpers

  /** Volume db here, holding n = {@code n}, committed as "one" and pushed. */
  private Volume counted(String n) throws IOException {
    Volume v = volumes.create("db", Map.of());
    Files.writeString(v.data().resolve("n"), n);
    volumes.commit("db", "one");
    push("db");
    return v;
  }

  private void push(String name) throws IOException {
    try (ImageLocation dest = ImageLocation.parse("oci:" + layout + ":vol", store)) {
      volumes.push(name, dest);
    }
  }

  private Volumes.Pulled pull(String name, boolean force) throws IOException {
    String where = "oci:" + layout + ":vol";
    try (ImageSource source = Transports.open(Transports.parse(where), other)) {
      return there.pull(source, where, name, force, new Puller(other, IngestLimits.DEFAULT, e -> { }));
    }
  }

  /** Rewrites the pushed artifact's config and manifest (digests made right), pulls it, and expects a refusal. */
  private void refused(Consumer<JsonNode> manifestChange, Consumer<JsonNode> configChange, String message)
      throws Exception {
    byte[] manifest = manifestBytes();
    JsonNode c = ImageJson.mapper().readTree(blob(configDigest(manifest)));
    configChange.accept(c);
    byte[] config = ImageJson.mapper().writeValueAsBytes(c);
    JsonNode m = ImageJson.mapper().readTree(manifest);
    ((ObjectNode) m.get("config")).put("digest", Digest.sha256(config).toString()).put("size", config.length);
    manifestChange.accept(m);
    put(ImageJson.mapper().writeValueAsBytes(m), config);
    try {
      assertThatThrownBy(() -> pull("fresh", false)).isInstanceOf(IOException.class)
          .hasMessageContaining(message);
      assertThat(there.get("fresh")).isEmpty();
      assertThat(staged(other)).isEmpty();
    } finally {
      put(manifest, blob(configDigest(manifest)));
    }
  }

  private byte[] manifestBytes() throws IOException {
    JsonNode index = ImageJson.mapper().readTree(Files.readAllBytes(layout.resolve("index.json")));
    return blob(Digest.parse(index.get("manifests").get(0).get("digest").asText()));
  }

  private static Digest configDigest(byte[] manifest) throws IOException {
    return Digest.parse(ImageJson.mapper().readTree(manifest).get("config").get("digest").asText());
  }

  private byte[] blob(Digest d) throws IOException {
    return Files.readAllBytes(layout.resolve("blobs/sha256").resolve(d.hex()));
  }

  /** Makes {@code manifest} (with {@code config}) the layout's only image, tagged vol. */
  private void put(byte[] manifest, byte[] config) throws IOException {
    Files.write(layout.resolve("blobs/sha256").resolve(Digest.sha256(config).hex()), config);
    Files.write(layout.resolve("blobs/sha256").resolve(Digest.sha256(manifest).hex()), manifest);
    Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
        + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + Digest.sha256(manifest) + "\",\"size\":"
        + manifest.length + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"vol\"}}]}",
        StandardCharsets.UTF_8);
  }

  private long blobs() throws IOException {
    try (Stream<Path> files = Files.list(layout.resolve("blobs/sha256"))) {
      return files.count();
    }
  }
}
