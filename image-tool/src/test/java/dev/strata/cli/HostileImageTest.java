package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.blob.ContentStore;
import dev.strata.image.MediaType;
import dev.strata.image.json.ImageJson;
import dev.strata.layer.TarBuilder;
import dev.strata.layout.Store;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

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
    pullFails(OciLayouts.pathTraversal(dir.resolve("img"), "bad"), "path contains '..'");
    assertThat(OciLayouts.escaped(dir)).isEmpty();
  }

  /**
   * Layers with a name or link target past the kernel's limits, each refused by umoci (which
   * makes every entry through the kernel: ENAMETOOLONG) and by a pull, which names the layer and
   * the entry.
   */
  static Stream<Arguments> overLongNames() {
    String over = "n".repeat(256);
    return Stream.of(
        Arguments.of(Named.of("a file name of 256 bytes", Map.of("d/" + over, "x")), "d/" + over,
            "a name of 256 bytes, longer than the 255 a Linux filesystem holds"),
        Arguments.of(Named.of("a directory name of 300 bytes", Map.of("d".repeat(300) + "/f", "x")), "d".repeat(300),
            "a name of 300 bytes"),
        Arguments.of(Named.of("a symlink target of 4096 bytes", Map.of("s", "->" + "t".repeat(4096))), "s",
            "symlink target of 4096 bytes, longer than 4095"),
        Arguments.of(Named.of("a hard link to a name of 256 bytes", Map.of("l", "=>" + over)), "l",
            "hard link target '" + over + "': a name of 256 bytes"));
  }

  @ParameterizedTest
  @MethodSource("overLongNames")
  void overLongNamesAreRefusedAsUmociRefusesThem(Map<String, String> entries, String entry, String problem)
      throws Exception {
    Path layout = OciLayouts.write(dir.resolve("img"), "bad", List.of(OciLayouts.tar(entries)));
    Commands.Result umoci = Commands.exec(List.of("umoci", "unpack", "--image", layout + ":bad",
        dir.resolve("bundle").toString()), Map.of());
    assertThat(umoci.exit()).as("umoci unpack").isNotZero();
    assertThat(umoci.err()).contains("file name too long");

    // The message names the layer and the entry (a name past 300 characters is cut short).
    Strata.Run pull = pullFails(layout, "layer " + layerOf(layout) + ": entry '" + entry);
    assertThat(pull.err()).contains(problem);
  }

  @Test
  void namesAndLinkTargetsUpToTheKernelsLimitsMountAsUmociUnpacksThem() throws Exception {
    // A symlink's target is not a name: symlink(2) takes up to PATH_MAX - 1 bytes, whatever the
    // length of its components. A hard link's target is a name of the layer.
    String longest = "n".repeat(255);
    Map<String, String> entries = new LinkedHashMap<>();
    entries.put("d/" + longest, "x");
    entries.put("l", "=>d/" + longest);
    entries.put("s", "->" + "t".repeat(4095));
    entries.put("c", "->a/" + "t".repeat(300));
    Path layout = OciLayouts.write(dir.resolve("img"), "edge", List.of(OciLayouts.tar(entries)));
    Path bundle = dir.resolve("bundle");
    Commands.run(List.of("umoci", "unpack", "--image", layout + ":edge", bundle.toString()));

    Path store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + layout + ":edge", "edge").assertOk();
    Path mp = Files.createDirectories(dir.resolve("mnt"));
    Strata.run(store, "mount", "--read-only", "edge", mp.toString()).assertOk();
    List<String> seen;
    try {
      seen = RootListing.of(mp);
    } finally {
      Strata.run(store, "umount", mp.toString()).assertOk();
    }
    assertThat(seen).isEqualTo(RootListing.of(bundle.resolve("rootfs"))).hasSize(5);
  }

  /**
   * Layers the tar library used to refuse in its own words, without the entry ("Unable to parse
   * long from string value", "Entry size is negative"), or that it read otherwise than GNU tar:
   * a pull names the layer, the entry (or the header's byte) and the field.
   */
  static Stream<Arguments> unreadableHeaders() throws Exception {
    byte[] smuggled = new TarBuilder().file("etc/passwd", "root::0:0::/:/bin/sh\n").withoutEndMarker().toBytes();
    byte[] good = new TarBuilder().file("a", "a").toBytes();
    return Stream.of(
        Arguments.of(Named.of("a PAX uid that is not a number", new TarBuilder().file("a", "a")
            .paxRecord("uid", "abc").file("p", "x").toBytes()), null,
            "entry 'p' (tar header at byte 2048): its PAX record uid='abc' is not a decimal number"),
        Arguments.of(Named.of("a directory with a size and a tar as its data", new TarBuilder()
            .header("d/", '5', smuggled.length).bytes(smuggled).toBytes()), null,
            "entry 'd/' (tar header at byte 0): a directory (type '5') whose size says 1024 bytes"),
        Arguments.of(Named.of("garbage after the end of the gzip stream", good),
            java.util.Arrays.copyOf(OciLayouts.gzip(good), OciLayouts.gzip(good).length + 4),
            "bytes after the gzip stream, from byte " + OciLayouts.gzip(good).length
                + ", are neither another gzip member nor zeros"));
  }

  @ParameterizedTest
  @MethodSource("unreadableHeaders")
  void headersEveryReaderReadsOtherwiseAreRefusedNamingLayerEntryAndField(byte[] tar, byte[] blob, String problem)
      throws Exception {
    if (blob != null) {
      blob[blob.length - 1] = 'x';
    }
    Path layout = OciLayouts.write(dir.resolve("img"), "bad", List.of(tar), List.of(blob != null ? blob
        : OciLayouts.gzip(tar)), MediaType.OCI_LAYER_GZIP);

    pullFails(layout, "layer " + layerOf(layout) + ": " + problem);
  }

  /** The digest of the one layer of the image of {@code layout}. */
  private static String layerOf(Path layout) throws Exception {
    ContentStore blobs = ContentStore.flat(layout.resolve("blobs"), layout.resolve("tmp"));
    var index = ImageJson.parseIndex(Files.readAllBytes(layout.resolve("index.json")));
    return ImageJson.parseManifest(blobs.readAllBytes(index.manifests().get(0).digest())).layers().get(0).digest()
        .toString();
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
