package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.image.Descriptor;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a pull does when the network or the registry fails it, through a loopback proxy in
 * front of a real registry: a pull either stores the whole image or nothing of the failing
 * layer, and says why.
 */
class RegistryFaultTest {
  @TempDir Path dir;
  RegistryFixture registry;
  LoopbackProxy proxy;
  Descriptor bigLayer;

  @BeforeEach
  void pushTinyBehindAProxy() throws Exception {
    registry = RegistryFixture.start("plain", dir.resolve("registry"));
    Commands.run(List.of("skopeo", "copy", "-q", "--dest-tls-verify=false", "oci:" + TestImages.tiny() + ":3layer",
        "docker://" + registry.host() + "/faults/tiny:v1"));
    proxy = new LoopbackProxy(registry.host());
    Path reference = dir.resolve("reference");
    Strata.run(reference, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
    bigLayer = StoredImage.load(Store.open(reference), "tiny").manifest().layers().stream()
        .filter(d -> d.size() > proxy.cutAfter).findFirst().orElseThrow();
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
    registry.close();
  }

  private String ref() {
    return "docker://" + proxy.host() + "/faults/tiny:v1";
  }

  /** Nothing of a failed pull is visible: no tag, no blob of the failing layer, no staging left, fsck clean. */
  private static void assertNothingPartial(Path store, Descriptor failed) throws Exception {
    Store s = Store.open(store);
    assertThat(s.tags()).isEmpty();
    assertThat(s.blobs().contains(failed.digest())).isFalse();
    try (Stream<Path> tmp = Files.exists(s.tmp()) ? Files.list(s.tmp()) : Stream.empty()) {
      assertThat(tmp.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("registry-"));
    }
    assertThat(Strata.run(store, "fsck").assertOk().out()).contains("all good");
  }

  @Test
  void registryStoppedMidDownloadFailsClearlyAndTheNextPullSucceeds() throws Exception {
    proxy.fault = LoopbackProxy.Fault.CUT;
    proxy.onCut = () -> {
      try {
        registry.stop();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
    Path store = dir.resolve("store");
    Strata.Run failed = Strata.run(store, "pull", "--tls-verify=false", ref(), "tiny");
    assertThat(failed.exit()).isEqualTo(1);
    assertThat(failed.err()).startsWith("strata: error: download of blob " + bigLayer.digest())
        .contains("failed after 5 attempts at byte " + proxy.cutAfter + " of " + bigLayer.size());
    assertNothingPartial(store, bigLayer);

    registry.restart();
    proxy.fault = LoopbackProxy.Fault.NONE;
    Strata.run(store, "pull", "--tls-verify=false", ref(), "tiny").assertOk();
    assertThat(Store.open(store).blobs().verify(bigLayer.digest())).isTrue();
    assertThat(Strata.run(store, "fsck").assertOk().out()).contains("all good");
  }

  @Test
  void aBrokenDownloadResumesWhereItStopped() throws Exception {
    proxy.fault = LoopbackProxy.Fault.CUT_ONCE;
    Path store = dir.resolve("store");
    Strata.run(store, "pull", "--tls-verify=false", ref(), "tiny").assertOk();
    assertThat(proxy.blobRequests).anySatisfy(h -> assertThat(h.getFirst("Range")).isEqualTo("bytes=" + proxy.cutAfter + "-"));
    assertThat(Store.open(store).blobs().verify(bigLayer.digest())).isTrue();
    assertThat(Strata.run(store, "fsck").assertOk().out()).contains("all good");
  }

  @Test
  void aCorruptedBlobIsRefusedAndNotStored() throws Exception {
    proxy.fault = LoopbackProxy.Fault.CORRUPT;
    proxy.cutAfter = bigLayer.size() - 1;
    Path store = dir.resolve("store");
    Strata.Run r = Strata.run(store, "pull", "--tls-verify=false", ref(), "tiny");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("blob downloaded from " + proxy.host() + "/faults/tiny", "digest", bigLayer.digest().toString());
    assertNothingPartial(store, bigLayer);
  }

  @Test
  void credentialsAreNotForwardedOnARedirectToAnotherHost() throws Exception {
    try (RegistryFixture secured = RegistryFixture.start("auth", dir.resolve("secured"));
        LoopbackProxy front = new LoopbackProxy(secured.host())) {
      Commands.run(List.of("skopeo", "copy", "-q", "--dest-tls-verify=false", "--dest-creds=testuser:testpass",
          "oci:" + TestImages.tiny() + ":3layer", "docker://" + secured.host() + "/redirect/tiny:v1"));
      front.fault = LoopbackProxy.Fault.REDIRECT;
      Path store = dir.resolve("store");
      Strata.run(store, "pull", "--tls-verify=false", "--creds", "testuser:testpass",
          front.host() + "/redirect/tiny:v1", "tiny").assertOk();
      assertThat(front.blobRequests).isNotEmpty().allSatisfy(h -> assertThat(h.getFirst("Authorization")).startsWith("Basic "));
      assertThat(front.storageRequests).hasSize(front.blobRequests.size())
          .allSatisfy(h -> assertThat(h.containsKey("Authorization")).isFalse());
      assertThat(Strata.run(store, "fsck").assertOk().out()).contains("all good");
    }
  }
}
