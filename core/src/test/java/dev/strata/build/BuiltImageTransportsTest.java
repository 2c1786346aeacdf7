package dev.strata.build;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.digest.Digest;
import dev.strata.image.Compression;
import dev.strata.image.Descriptor;
import dev.strata.image.Image;
import dev.strata.layout.Store;
import dev.strata.transfer.ImageLocation;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every place images live reads and writes the same {@link Image}: a built image goes from the
 * store to an OCI layout, an OCI archive, a docker archive and back into a store, keeping its
 * manifest digest where the format keeps manifests, its layers' diff ids and files everywhere.
 */
class BuiltImageTransportsTest {
  @TempDir Path dir;

  @Test
  void anImageTravelsThroughEveryKindOfPlace() throws Exception {
    Image built = GoldenImages.twoLayers(GoldenImages.options(Compression.GZIP, dir.resolve("s")));
    Store store = Store.open(dir.resolve("store"));
    Descriptor stored;
    try (ImageLocation s = ImageLocation.inStore(store, "golden")) {
      stored = s.write(built);
    }
    assertThat(stored.digest()).isEqualTo(built.descriptor().digest());

    Image current = built;
    for (String place : new String[] {"oci:" + dir.resolve("layout") + ":golden",
        "oci-archive:" + dir.resolve("golden.tar") + ":golden"}) {
      try (ImageLocation from = ImageLocation.inStore(store, "golden"); ImageLocation to = ImageLocation.parse(place, store)) {
        assertThat(to.write(from.read()).digest()).as(place).isEqualTo(built.descriptor().digest());
      }
      try (ImageLocation back = ImageLocation.parse(place, store)) {
        current = back.read();
        assertThat(current.descriptor().digest()).as(place).isEqualTo(built.descriptor().digest());
        assertThat(current.config().diffIds()).isEqualTo(built.config().diffIds());
      }
    }

    Path archive = dir.resolve("docker.tar");
    try (ImageLocation from = ImageLocation.parse("oci:" + dir.resolve("layout") + ":golden", store);
        ImageLocation to = ImageLocation.parse("docker-archive:" + archive + ":golden:1", store)) {
      to.write(from.read()); // layers not indexed in any store: measured by decompressing
    }
    Store second = Store.open(dir.resolve("second"));
    try (ImageLocation from = ImageLocation.parse("docker-archive:" + archive, second);
        ImageLocation to = ImageLocation.inStore(second, "again")) {
      Image read = from.read();
      assertThat(read.config().diffIds()).as("docker-archive keeps diff ids").isEqualTo(built.config().diffIds());
      to.write(read);
    }
    try (ImageUnion union = ImageUnion.open(second, ImageLocation.inStore(second, "again").read())) {
      assertThat(new String(union.readFile("/etc/motd"), UTF_8)).isEqualTo("hello from strata\n");
      assertThat(union.exists("/usr/share/doc")).isFalse();
    }
  }

  @Test
  void aMissingImageIsNamed() throws Exception {
    Store store = Store.open(dir.resolve("store"));
    try (ImageLocation s = ImageLocation.inStore(store, "absent")) {
      assertThatThrownBy(s::read).hasMessageContaining("no image named 'absent'");
    }
    Image built = GoldenImages.twoLayers(GoldenImages.options(Compression.GZIP, dir.resolve("s")));
    try (ImageLocation to = ImageLocation.parse("oci:" + dir.resolve("layout") + ":golden", store)) {
      to.write(built);
    }
    try (ImageLocation from = ImageLocation.parse("oci:" + dir.resolve("layout") + ":other", store)) {
      assertThatThrownBy(from::read).hasMessageContaining("no image 'other' in " + dir.resolve("layout"));
    }
    assertThat(Digest.sha256(built.rawManifest())).isEqualTo(built.descriptor().digest());
  }
}
