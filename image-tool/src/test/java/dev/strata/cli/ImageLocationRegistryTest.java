package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.image.Descriptor;
import dev.strata.image.Image;
import dev.strata.image.Layer;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import dev.strata.registry.RegistryException;
import dev.strata.registry.RegistryOptions;
import dev.strata.transfer.ImageLocation;
import dev.strata.transfer.TransferProgress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A registry is a place like the others: what is written there reads back with every digest. */
class ImageLocationRegistryTest {
  private static final RegistryOptions PLAIN_HTTP = new RegistryOptions(null, false, null);

  @TempDir Path dir;

  @Test
  void imagesFromALayoutAndFromTheStoreGoThroughARegistryKeepingEveryDigest() throws Exception {
    Path storePath = dir.resolve("store");
    Strata.run(storePath, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
    Store store = Store.open(storePath);
    StoredImage stored = StoredImage.load(store, "tiny");
    try (RegistryFixture registry = RegistryFixture.start("plain", dir.resolve("registry"))) {
      String fromStore = "docker://" + registry.host() + "/locations/from-store:v1";
      String fromLayout = "docker://" + registry.host() + "/locations/from-layout:v1";
      try (ImageLocation from = ImageLocation.inStore(store, "tiny");
          ImageLocation to = ImageLocation.parse(fromStore, store, PLAIN_HTTP, TransferProgress.NONE)) {
        assertThat(to.write(from.read()).digest()).isEqualTo(stored.descriptor().digest());
      }
      // From a layout, through a store that holds none of its blobs: each is read from the layout.
      Store empty = Store.open(dir.resolve("empty"));
      Map<String, TransferProgress.State> outcomes = new ConcurrentHashMap<>();
      TransferProgress progress = (blob, state, bytes) -> outcomes.put(blob.digest().toString(), state);
      try (ImageLocation from = ImageLocation.parse("oci:" + TestImages.tiny() + ":3layer", empty);
          ImageLocation to = ImageLocation.parse(fromLayout, empty, PLAIN_HTTP, progress)) {
        assertThat(to.write(from.read()).digest()).isEqualTo(stored.descriptor().digest());
      }
      // Four blobs, three layers and the config: every one uploaded, none known to that repository yet.
      assertThat(outcomes).hasSize(4);
      assertThat(outcomes.values()).containsOnly(TransferProgress.State.DONE);

      Store back = Store.open(dir.resolve("back"));
      for (String ref : List.of(fromStore, fromLayout)) {
        try (ImageLocation from = ImageLocation.parse(ref, back, PLAIN_HTTP, TransferProgress.NONE);
            ImageLocation to = ImageLocation.inStore(back, "again")) {
          Image image = from.read();
          assertThat(image.descriptor().digest()).as(ref).isEqualTo(stored.descriptor().digest());
          assertThat(image.layers().stream().map(Layer::descriptor).map(Descriptor::digest).toList())
              .isEqualTo(stored.manifest().layers().stream().map(Descriptor::digest).toList());
          assertThat(image.config().diffIds()).isEqualTo(stored.config().diffIds());
          assertThat(to.write(image).digest()).isEqualTo(stored.descriptor().digest());
        }
        assertThat(StoredImage.load(back, "again").config().diffIds()).isEqualTo(stored.config().diffIds());
      }

      try (ImageLocation missing = ImageLocation.parse("docker://" + registry.host() + "/locations/from-store:v9", back,
          PLAIN_HTTP, TransferProgress.NONE)) {
        assertThatThrownBy(missing::read).isInstanceOf(RegistryException.class)
            .hasMessageContaining("manifest unknown: " + registry.host() + "/locations/from-store:v9");
      }
    }
  }
}
