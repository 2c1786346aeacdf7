package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** strata pull from each transport, and what it says when it has nothing to copy. */
class PullCommandTest {
  @TempDir Path dir;

  @Test
  void pullOfAnImageAlreadyInTheStoreCopiesNothingAndSaysSo() throws Exception {
    Path store = dir.resolve("store");
    Strata.Run first = Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
    assertThat(first.out()).contains("layer 1/3").contains("pulled:").contains("3 copied, 0 already in the store");

    Strata.Run again = Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
    assertThat(again.out()).contains("exists, skipped").doesNotContain("pulled:")
        .contains("all already in the store, nothing copied");
  }

  @Test
  void sharedLayersAndFilesAreStoredOnce() throws Exception {
    Path store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "a").assertOk();
    Strata.Run repack = Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":umoci-repack", "b").assertOk();
    // umoci's repack of the same files makes other layer blobs, but not one new file content.
    assertThat(repack.out()).contains("pulled: ").contains(" 0 new files");
  }

  @Test
  void pullWithoutANameUsesTheSourceTag() throws Exception {
    Path store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":umoci-repack").assertOk();
    assertThat(Strata.run(store, "images").assertOk().out()).contains("umoci-repack");
  }

  @Test
  void pullFromOciArchiveAndDockerArchiveKeepsTheLayersContent() throws Exception {
    Path store = dir.resolve("store");
    Path ociArchive = dir.resolve("tiny-oci.tar");
    Path dockerArchive = dir.resolve("tiny-docker.tar");
    Commands.run(List.of("skopeo", "copy", "oci:" + TestImages.tiny() + ":3layer", "oci-archive:" + ociArchive + ":3layer"));
    Commands.run(List.of("skopeo", "copy", "oci:" + TestImages.tiny() + ":3layer", "docker-archive:" + dockerArchive + ":tiny:3layer"));

    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "from-oci").assertOk();
    Strata.run(store, "pull", "oci-archive:" + ociArchive + ":3layer", "from-oci-archive").assertOk();
    Strata.Run docker = Strata.run(store, "pull", "docker-archive:" + dockerArchive).assertOk();
    assertThat(docker.out()).contains("pulled tiny:3layer");

    Store s = Store.open(store);
    StoredImage fromOci = StoredImage.load(s, "from-oci");
    assertThat(StoredImage.load(s, "from-oci-archive").descriptor().digest()).isEqualTo(fromOci.descriptor().digest());
    // docker-archive holds uncompressed layers: other blobs, the same diff ids.
    StoredImage fromDocker = StoredImage.load(s, "tiny:3layer");
    assertThat(fromDocker.config().diffIds()).isEqualTo(fromOci.config().diffIds());
    assertThat(Strata.run(store, "fsck").assertOk().out()).contains("all good");
  }

  @Test
  void zstdLayersPullToTheSameDiffIds() throws Exception {
    Path store = dir.resolve("store");
    Path zstd = dir.resolve("zstd");
    Commands.run(List.of("skopeo", "copy", "--dest-compress-format", "zstd", "--dest-compress",
        "oci:" + TestImages.tiny() + ":3layer", "oci:" + zstd + ":3layer"));
    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "gzip").assertOk();
    Strata.run(store, "pull", "oci:" + zstd + ":3layer", "zstd").assertOk();
    Store s = Store.open(store);
    StoredImage gzip = StoredImage.load(s, "gzip");
    StoredImage z = StoredImage.load(s, "zstd");
    assertThat(z.manifest().layers()).allSatisfy(l -> assertThat(l.mediaType()).endsWith("+zstd"));
    assertThat(z.config().diffIds()).isEqualTo(gzip.config().diffIds());
    // Same layers under other compression: nothing new to index.
    assertThat(s.layers().list()).hasSize(3);
  }

  @Test
  void pullFromAMissingDirectoryFailsClearly() {
    Strata.Run r = Strata.run(dir.resolve("store"), "pull", "oci:" + dir.resolve("nope") + ":x");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("strata: error: ").contains("not an OCI image layout");
  }
}
