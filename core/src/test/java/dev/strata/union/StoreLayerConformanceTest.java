package dev.strata.union;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.blob.ObjectStore;
import dev.strata.layer.LayerIndex;
import dev.strata.layout.Store;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The conformance suite on a layer ingested into a store. */
class StoreLayerConformanceTest extends LowerLayerConformanceTest {
  private LayerIndex index;

  @Override
  LowerLayer create(LayerFixture fixture, Path dir) throws IOException {
    Store store = Store.open(dir.resolve("store"));
    index = fixture.ingest(store);
    return StoreLayer.open(index, store.objects());
  }

  @Override
  boolean marksImpliedDirectories() {
    return true;
  }

  @Test
  void largeContentsAreHostFilesAndPackedOnesAreParts() throws IOException {
    try (FileContent big = layer.open("usr/bin/big"); FileContent small = layer.open("usr/lib/libx.so");
        FileContent boundary = layer.open("usr/lib/exact64k")) {
      assertThat(big.extent().whole()).isTrue();
      assertThat(big.extent().offset()).isZero();
      assertThat(big.extent().file().description()).contains("objects/sha256/");
      assertThat(small.extent().whole()).isFalse();
      assertThat(small.extent().file().description()).contains("objects/packs/");
      assertThat(boundary.size()).isEqualTo(ObjectStore.PACK_LIMIT);
      assertThat(boundary.extent().whole()).isFalse();
    }
  }

  @Test
  void describesItsDiffId() {
    assertThat(layer.describe()).isEqualTo("store layer " + index.diffId());
  }
}
