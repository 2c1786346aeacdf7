package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.blob.ContentStore;
import dev.strata.image.MediaType;
import dev.strata.layout.Store;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad images through the command line: a clear error, exit 1, no image by that name, and
 * nothing written outside the store.
 */
class HostileImageTest {
  @TempDir Path dir;

  private Strata.Run pullFails(Path layout, String expected) throws Exception {
    Path store = dir.resolve("store");
    Strata.Run r = Strata.run(store, "pull", "oci:" + layout + ":bad", "bad");
    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.err()).startsWith("strata: error: ").contains(expected);
    assertThat(Store.open(store).tags()).isEmpty();
    assertThat(Strata.run(store, "fsck").assertOk().out()).contains("all good");
    return r;
  }

  @Test
  void pathTraversalIsRefusedAndNothingLandsOutside() throws Exception {
    Map<String, String> entries = new LinkedHashMap<>();
    entries.put("ok.txt", "fine");
    entries.put("../../escaped.txt", "gotcha");
    Path layout = OciLayouts.write(dir.resolve("img"), "bad", List.of(OciLayouts.tar(entries)));
    pullFails(layout, "path contains '..'");
    // Everything under the test's directory, and the directory beside it: not the rest of /tmp,
    // where other programs' mounts may not answer.
    try (Stream<Path> all = Files.walk(dir)) {
      assertThat(all.filter(p -> p.getFileName().toString().equals("escaped.txt"))).isEmpty();
    }
    assertThat(dir.resolveSibling("escaped.txt")).doesNotExist();
  }

  @Test
  void writeThroughASymlinkIsRefused() throws Exception {
    Map<String, String> entries = new LinkedHashMap<>();
    entries.put("etc", "->/etc");
    entries.put("etc/passwd", "root::0:0::/:/bin/sh");
    pullFails(OciLayouts.write(dir.resolve("img"), "bad", List.of(OciLayouts.tar(entries))), "goes through the symlink 'etc'");
  }

  @Test
  void aBlobThatIsNotWhatItsDigestSaysIsRefused() throws Exception {
    byte[] tar = OciLayouts.tar(Map.of("a", "a"));
    Path layout = OciLayouts.write(dir.resolve("img"), "bad", List.of(tar));
    try (Stream<Path> blobs = Files.list(layout.resolve("blobs/sha256"))) {
      for (Path b : (Iterable<Path>) blobs::iterator) {
        if (Files.size(b) == OciLayouts.gzip(tar).length) {
          // The same tar compressed otherwise: it decompresses to the right diff id, but it is
          // not the blob the manifest names.
          java.io.ByteArrayOutputStream other = new java.io.ByteArrayOutputStream();
          try (var gz = new java.util.zip.GZIPOutputStream(other) {
            {
              def.setLevel(java.util.zip.Deflater.NO_COMPRESSION);
            }
          }) {
            gz.write(tar);
          }
          Files.write(b, other.toByteArray());
        }
      }
    }
    pullFails(layout, "blob sha256:");
  }

  @Test
  void aLayerWhoseDiffIdLiesIsRefused() throws Exception {
    byte[] real = OciLayouts.tar(Map.of("a", "a"));
    byte[] other = OciLayouts.tar(Map.of("b", "b"));
    Path layout = OciLayouts.write(dir.resolve("img"), "bad", List.of(other), List.of(OciLayouts.gzip(real)),
        MediaType.OCI_LAYER_GZIP);
    pullFails(layout, "but the config says");
  }

  @Test
  void aGzipLayerLabelledZstdIsRefused() throws Exception {
    byte[] tar = OciLayouts.tar(Map.of("a", "a"));
    Path layout = OciLayouts.write(dir.resolve("img"), "bad", List.of(tar), List.of(OciLayouts.gzip(tar)),
        MediaType.OCI_LAYER_ZSTD);
    pullFails(layout, "media type says zstd but its bytes are gzip");
  }

  @Test
  void anUnknownLayerMediaTypeIsRefused() throws Exception {
    byte[] tar = OciLayouts.tar(Map.of("a", "a"));
    Path layout = OciLayouts.write(dir.resolve("img"), "bad", List.of(tar), List.of(tar), "application/x-surprise");
    pullFails(layout, "unknown layer media type application/x-surprise");
  }

  @Test
  void invalidManifestJsonIsRefused() throws Exception {
    Path layout = dir.resolve("img");
    ContentStore blobs = ContentStore.flat(layout.resolve("blobs"), layout.resolve("tmp"));
    OciLayouts.tagManifest(layout, blobs, "bad", "{\"schemaVersion\": 2, \"layers\": [".getBytes(StandardCharsets.UTF_8));
    pullFails(layout, "invalid JSON");
  }

  @Test
  void aDecompressionBombIsRefusedUnderTheConfiguredLimit() throws Exception {
    StringBuilder zeros = new StringBuilder();
    zeros.append("\0".repeat(4 << 20));
    Path layout = OciLayouts.write(dir.resolve("img"), "bad", List.of(OciLayouts.tar(Map.of("zeros", zeros.toString()))));
    Path store = dir.resolve("store");
    Strata.Run r = Strata.run(store, "pull", "--max-layer-size", "1MiB", "oci:" + layout + ":bad", "bad");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("decompression bomb");
    assertThat(Store.open(store).tags()).isEmpty();
  }
}
