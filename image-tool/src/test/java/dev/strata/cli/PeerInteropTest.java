package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.image.json.ImageJson;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store is an OCI layout that skopeo and umoci use unchanged, and what strata pushes they
 * read: the peers are the oracles.
 */
class PeerInteropTest {
  @TempDir Path dir;

  private Path pulledStore() throws Exception {
    Path store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
    return store;
  }

  @Test
  void skopeoInspectsTheStore() throws Exception {
    Path store = pulledStore();
    JsonNode info = ImageJson.mapper().readTree(Commands.run(List.of("skopeo", "inspect", "oci:" + store + ":tiny")));
    StoredImage image = StoredImage.load(Store.open(store), "tiny");
    assertThat(info.get("Digest").asText()).isEqualTo(image.descriptor().digest().toString());
    assertThat(info.get("Layers")).hasSize(3);
  }

  @Test
  void umociUnpacksTheSameRootfsFromTheStoreAsFromTheSource() throws Exception {
    Path store = pulledStore();
    Path fromStore = dir.resolve("from-store");
    Path fromSource = dir.resolve("from-source");
    Commands.run(List.of("umoci", "unpack", "--image", store + ":tiny", fromStore.toString()));
    Commands.run(List.of("umoci", "unpack", "--image", TestImages.tiny() + ":3layer", fromSource.toString()));
    Commands.Result diff = Commands.exec(List.of("diff", "-r", "--no-dereference",
        fromStore.resolve("rootfs").toString(), fromSource.resolve("rootfs").toString()), java.util.Map.of());
    assertThat(diff.out() + diff.err()).isEmpty();
    assertThat(diff.exit()).isZero();
  }

  @Test
  void skopeoCopyOfTheStoreThenPullKeepsEveryDigest() throws Exception {
    Path store = pulledStore();
    Path other = dir.resolve("other");
    Commands.run(List.of("skopeo", "copy", "oci:" + store + ":tiny", "oci:" + other + ":tiny"));
    Path second = dir.resolve("second-store");
    Strata.run(second, "pull", "oci:" + other + ":tiny", "tiny").assertOk();
    StoredImage a = StoredImage.load(Store.open(store), "tiny");
    StoredImage b = StoredImage.load(Store.open(second), "tiny");
    assertThat(b.descriptor().digest()).isEqualTo(a.descriptor().digest());
    assertThat(b.manifest()).isEqualTo(a.manifest());
  }

  @Test
  void pushToEachTransportIsReadBySkopeoWithTheSameContent() throws Exception {
    Path store = pulledStore();
    StoredImage image = StoredImage.load(Store.open(store), "tiny");
    String digest = image.descriptor().digest().toString();

    Path layout = dir.resolve("pushed-layout");
    Strata.run(store, "push", "tiny", "oci:" + layout + ":v1").assertOk();
    JsonNode l = ImageJson.mapper().readTree(Commands.run(List.of("skopeo", "inspect", "oci:" + layout + ":v1")));
    assertThat(l.get("Digest").asText()).isEqualTo(digest);

    Path ociArchive = dir.resolve("pushed-oci.tar");
    Strata.run(store, "push", "tiny", "oci-archive:" + ociArchive + ":v1").assertOk();
    JsonNode a = ImageJson.mapper().readTree(Commands.run(List.of("skopeo", "inspect", "oci-archive:" + ociArchive + ":v1")));
    assertThat(a.get("Digest").asText()).isEqualTo(digest);

    Path dockerArchive = dir.resolve("pushed-docker.tar");
    Strata.run(store, "push", "tiny", "docker-archive:" + dockerArchive + ":tiny:v1").assertOk();
    JsonNode d = ImageJson.mapper().readTree(Commands.run(List.of("skopeo", "inspect", "--config",
        "docker-archive:" + dockerArchive)));
    assertThat(d.get("rootfs").get("diff_ids").toString())
        .isEqualTo(ImageJson.mapper().writeValueAsString(image.config().diffIds().stream().map(Object::toString).toList()));
    // And back: the docker archive pulls into a new store with the same diff ids.
    Path back = dir.resolve("back");
    Strata.run(back, "pull", "docker-archive:" + dockerArchive, "again").assertOk();
    assertThat(StoredImage.load(Store.open(back), "again").config().diffIds()).isEqualTo(image.config().diffIds());
    // skopeo converts strata's docker archive to an OCI layout that umoci unpacks.
    Commands.run(List.of("skopeo", "copy", "docker-archive:" + dockerArchive, "oci:" + dir.resolve("conv") + ":x"));
    Commands.run(List.of("umoci", "unpack", "--image", dir.resolve("conv") + ":x", dir.resolve("conv-bundle").toString()));
  }
}
