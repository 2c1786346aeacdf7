package dev.strata.build;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.digest.Digest;
import dev.strata.host.HostDir;
import dev.strata.host.Names;
import dev.strata.image.Compression;
import dev.strata.image.Image;
import dev.strata.image.Layer;
import dev.strata.image.json.ImageJson;
import dev.strata.layer.IngestLimits;
import dev.strata.layer.TarPeers;
import dev.strata.layout.Store;
import dev.strata.transfer.Images;
import dev.strata.transfer.Puller;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library builds images that are the same bytes for the same inputs, that umoci unpacks and
 * skopeo reads as they were meant, and that hold host files as {@code COPY} takes them.
 */
class ImageBuilderTest {
  @TempDir Path dir;

  /**
   * The digests of the golden image, pinned: a change of any byte of a built image (entry order,
   * a header field, JSON field order, compression) shows here. The diff ids are the tar's and
   * the same everywhere; the blob digests are the compressors' (the JDK's zlib, zstd-jni's zstd).
   */
  @Test
  void goldenDigests() throws Exception {
    Image gzip = GoldenImages.twoLayers(GoldenImages.options(Compression.GZIP, dir.resolve("s")));
    Image zstd = GoldenImages.twoLayers(GoldenImages.options(Compression.ZSTD, dir.resolve("s")));
    List<String> diffIds = List.of(
        "sha256:57517dff3e47191ecb332b43922774c1c548e6c83dc2d9e4d819886c08efb6ac",
        "sha256:55197116041d98444a846c1ee9abfe89e8f3254f9c68d6f4181fb5e48e686f1a");
    assertThat(gzip.config().diffIds()).map(Digest::toString).isEqualTo(diffIds);
    assertThat(zstd.config().diffIds()).map(Digest::toString).isEqualTo(diffIds);
    assertThat(gzip.layers()).map(l -> l.descriptor().digest().toString()).containsExactly(
        "sha256:83db248893f3974e6a8622200e08ff908b7cdb43b101e4d0728a936538aecbe4",
        "sha256:bb2dee8aeb7fc1f0f131b8414a6be870ce5d3c1db6a2c4c52d94463e5a2a72c8");
    assertThat(zstd.layers()).map(l -> l.descriptor().digest().toString()).containsExactly(
        "sha256:73bbf980e6174b5245c39b8c1204d71f3678c485da34a6eccb8869a48608af94",
        "sha256:3926270f5eb63955d3bae6313387e6111dd0d521ebdfc3cb0e859f228cacab97");
    assertThat(gzip.manifest().config().digest().toString()).isEqualTo(GOLDEN_CONFIG);
    assertThat(gzip.descriptor().digest().toString()).isEqualTo(GOLDEN_GZIP_MANIFEST);
    assertThat(zstd.descriptor().digest().toString()).isEqualTo(GOLDEN_ZSTD_MANIFEST);
  }

  static final String GOLDEN_CONFIG = "sha256:1efe014ca706f2f250e8ee775a04523a9f898a05c12d7964e3844461a67c4505";
  static final String GOLDEN_GZIP_MANIFEST = "sha256:01af7217c831d62dbfd901f7fa5997f4da02a2098c1ef68e710e569b9fb4ec11";
  static final String GOLDEN_ZSTD_MANIFEST = "sha256:90311d082994551b5dfc5013caf373fd83877e51300e8152312a0281f327af0f";

  @Test
  void sameInputsGiveTheSameImageWhateverTheOrderOfTheCalls() throws Exception {
    BuildOptions options = GoldenImages.options(Compression.GZIP, dir.resolve("one"));
    Image first = ImageBuilder.scratch(GoldenImages.AMD64)
        .file("/b/two", "2".getBytes(UTF_8), FileAttributes.mode(0644))
        .file("/a/one", "1".getBytes(UTF_8), FileAttributes.mode(0644))
        .delete("/c")
        .env("A", "1")
        .build(options);
    Image second = ImageBuilder.scratch(GoldenImages.AMD64)
        .delete("/c")
        .file("/a/one", "1".getBytes(UTF_8), FileAttributes.mode(0644))
        .file("/b/two", "2".getBytes(UTF_8), FileAttributes.mode(0644))
        .env("A", "1")
        .build(options.withScratch(dir.resolve("two")));
    assertThat(second.descriptor().digest()).isEqualTo(first.descriptor().digest());
    Image later = ImageBuilder.scratch(GoldenImages.AMD64)
        .file("/a/one", "1".getBytes(UTF_8), FileAttributes.mode(0644))
        .file("/b/two", "2".getBytes(UTF_8), FileAttributes.mode(0644))
        .delete("/c")
        .env("A", "1")
        .build(options.withTimestamp(GoldenImages.TIME.plusSeconds(1)));
    assertThat(later.descriptor().digest()).as("the time is part of the image").isNotEqualTo(first.descriptor().digest());
  }

  @Test
  void timeComesFromSourceDateEpochOrTheEpochNeverTheClock() {
    assertThat(BuildOptions.sourceDateEpoch(Map.of("SOURCE_DATE_EPOCH", "1700000000"))).isEqualTo(GoldenImages.TIME);
    assertThat(BuildOptions.sourceDateEpoch(Map.of())).isEqualTo(Instant.EPOCH);
    assertThatThrownBy(() -> BuildOptions.sourceDateEpoch(Map.of("SOURCE_DATE_EPOCH", "yesterday")))
        .hasMessageContaining("SOURCE_DATE_EPOCH='yesterday' is not a number of seconds");
  }

  /** umoci unpacks the golden image (Go's archive/tar, its own whiteout rules) as it was built. */
  @Test
  void umociUnpacksTheGoldenImageAsBuilt() throws Exception {
    Path layout = storeWith(GoldenImages.twoLayers(GoldenImages.options(Compression.GZIP, dir.resolve("s"))), "golden");
    Path rootfs = unpack(layout, "golden");
    assertThat(Files.readString(rootfs.resolve("etc/motd"))).isEqualTo("hello from strata\n");
    assertThat(mode(rootfs.resolve("usr/bin/tool"))).isEqualTo(04755);
    assertThat(Files.readSymbolicLink(rootfs.resolve("usr/bin/alias"))).isEqualTo(Path.of("tool"));
    assertThat(rootfs.resolve("usr/share")).isDirectory();
    assertThat(rootfs.resolve("usr/share/doc")).as("deleted by the second layer").doesNotExist();
    assertThat(rootfs.resolve("home/user/notes")).as("its directory replaced whole").doesNotExist();
    Path profile = rootfs.resolve("home/user/.profile");
    assertThat(Files.readString(profile)).isEqualTo("export A=1\n");
    assertThat(Files.getAttribute(profile, "unix:uid")).isEqualTo(1000);
    assertThat(Files.getLastModifiedTime(profile).toInstant()).isEqualTo(GoldenImages.TIME);
    assertThat(Files.getLastModifiedTime(rootfs.resolve("etc/motd"), LinkOption.NOFOLLOW_LINKS).toInstant())
        .isEqualTo(GoldenImages.TIME);
  }

  /** skopeo reads the config as written: what a container of the image runs. */
  @Test
  void skopeoReadsTheGoldenConfig() throws Exception {
    for (Compression c : new Compression[] {Compression.GZIP, Compression.ZSTD}) {
      Path layout = storeWith(GoldenImages.twoLayers(GoldenImages.options(c, dir.resolve("s"))), "golden");
      JsonNode config = ImageJson.mapper().readTree(
          TarPeers.ok(dir, "skopeo", "inspect", "--config", "oci:" + layout + ":golden"));
      JsonNode cc = config.get("config");
      assertThat(cc.get("Entrypoint").toString()).isEqualTo("[\"/usr/bin/tool\"]");
      assertThat(cc.get("Cmd").toString()).isEqualTo("[\"--help\"]");
      assertThat(cc.get("User").asText()).isEqualTo("1000:1000");
      assertThat(cc.get("WorkingDir").asText()).isEqualTo("/home/user");
      assertThat(cc.get("ExposedPorts").has("8080/tcp")).isTrue();
      assertThat(cc.get("Volumes").has("/data")).isTrue();
      assertThat(config.get("created").asText()).isEqualTo("2023-11-14T22:13:20Z");
      byte[] manifest = TarPeers.ok(dir, "skopeo", "inspect", "--raw", "oci:" + layout + ":golden");
      String expected = c == Compression.GZIP ? GOLDEN_GZIP_MANIFEST : GOLDEN_ZSTD_MANIFEST;
      assertThat(Digest.sha256(manifest).toString()).as("the manifest as skopeo reads it").isEqualTo(expected);
    }
  }

  /** Host files as COPY takes them: modes kept, owners root's, hard links linked, names as bytes. */
  @Test
  void copiesAHostTree() throws Exception {
    Path src = Files.createDirectories(dir.resolve("src"));
    Files.createDirectories(src.resolve("bin"));
    Files.writeString(src.resolve("bin/run"), "#!/bin/sh\n");
    Files.setPosixFilePermissions(src.resolve("bin/run"), PosixFilePermissions.fromString("rwxr-x---"));
    Files.writeString(src.resolve("data.txt"), "data\n");
    Files.createLink(src.resolve("data-link.txt"), src.resolve("data.txt"));
    Files.createSymbolicLink(src.resolve("latest"), Path.of("data.txt"));
    byte[] latin1 = {'c', 'a', 'f', (byte) 0xe9};
    try (HostDir host = HostDir.open(src)) {
      host.createFile(Names.decode(latin1), 0644);
      host.mknod("pipe", 0010600, 0, 0);
    }
    Image image = ImageBuilder.scratch(GoldenImages.AMD64)
        .copy(src, "/app/")
        .build(GoldenImages.options(Compression.GZIP, dir.resolve("s")));
    Path rootfs = unpack(storeWith(image, "copied"), "copied");
    Path app = rootfs.resolve("app");
    assertThat(mode(app.resolve("bin/run"))).isEqualTo(0750);
    assertThat(Files.getAttribute(app.resolve("data.txt"), "unix:ino"))
        .isEqualTo(Files.getAttribute(app.resolve("data-link.txt"), "unix:ino"));
    assertThat(Files.readSymbolicLink(app.resolve("latest"))).isEqualTo(Path.of("data.txt"));
    assertThat(Files.getLastModifiedTime(app.resolve("data.txt")).toInstant()).isEqualTo(GoldenImages.TIME);
    assertThat(Files.getAttribute(app.resolve("data.txt"), "unix:uid")).isEqualTo(0);
    assertThat(Files.getAttribute(app.resolve("pipe"), "unix:mode")).isEqualTo(0010600);
    List<String> names = TarPeers.split(TarPeers.ok(app, "find", ".", "-maxdepth", "1", "-print0"));
    assertThat(names).contains("./" + Names.decode(latin1));
  }

  /**
   * A copy that keeps host times keeps them to the second, as docker's and buildah's layers do:
   * the tar header's own field, no PAX record per file (GNU tar lists none).
   */
  @Test
  void keptHostTimesAreWholeSecondsWithoutPaxRecords() throws Exception {
    Path src = Files.createDirectories(dir.resolve("timed"));
    Files.writeString(src.resolve("a.txt"), "a\n");
    Files.setLastModifiedTime(src.resolve("a.txt"),
        java.nio.file.attribute.FileTime.from(Instant.parse("2021-03-04T05:06:07.891234567Z")));
    Layer layer = new LayerBuilder()
        .copy(src, "/app/", CopyOptions.DEFAULTS.withKeepTimes(true))
        .build(GoldenImages.options(Compression.NONE, dir.resolve("s")));
    Path tar = dir.resolve("timed.tar");
    try (InputStream in = layer.open()) {
      Files.copy(in, tar);
    }
    String verbose = new String(TarPeers.ok(dir, "env", "TZ=UTC", "tar", "--full-time", "-tvvf", tar.toString()), UTF_8);
    assertThat(verbose).contains("2021-03-04 05:06:07 app/a.txt").doesNotContain("PaxHeaders");
  }

  @Test
  void deletingThenWritingIntoADirectoryReplacesItWhole() throws Exception {
    Layer layer = new LayerBuilder()
        .delete("/etc/ssl")
        .file("/etc/ssl/cert.pem", "pem".getBytes(UTF_8), FileAttributes.mode(0644))
        .delete("/tmp/gone")
        .build(GoldenImages.options(Compression.NONE, dir.resolve("s")));
    Path tar = dir.resolve("layer.tar");
    try (InputStream in = layer.open()) {
      Files.copy(in, tar);
    }
    assertThat(TarPeers.gnuTarNames(tar)).containsExactly(
        "etc", "etc/ssl", "etc/ssl/.wh..wh..opq", "etc/ssl/cert.pem", "tmp", "tmp/.wh.gone");
  }

  @Test
  void refusesPathsNoLayerMayHold() {
    LayerBuilder b = new LayerBuilder();
    assertThatThrownBy(() -> b.delete("/etc/../../x")).hasMessageContaining("may not hold '..'");
    assertThatThrownBy(() -> b.delete("/")).hasMessageContaining("cannot delete the root");
    b.file("/etc/hosts", new byte[0], FileAttributes.mode(0644));
    assertThatThrownBy(() -> b.file("/etc/hosts/x", new byte[0], FileAttributes.mode(0644)))
        .hasMessageContaining("'hosts' is not a directory in this layer");
    assertThatThrownBy(() -> FileAttributes.mode(010644)).hasMessageContaining("bits beyond 07777");
  }

  /** Puts {@code image} into a store, as {@code name}; returns the store's root (an OCI layout). */
  private Path storeWith(Image image, String name) throws Exception {
    Path root = dir.resolve("store-" + name + "-" + image.descriptor().digest().shortHex());
    Store store = Store.open(root);
    new Puller(store, IngestLimits.DEFAULT, e -> { }).pull(Images.source(image, name), name,
        dev.strata.image.Platform.current());
    return root;
  }

  private Path unpack(Path layout, String name) throws Exception {
    Path bundle = dir.resolve("bundle-" + name + "-" + System.nanoTime());
    TarPeers.ok(dir, "umoci", "unpack", "--image", layout + ":" + name, bundle.toString());
    return bundle.resolve("rootfs");
  }

  private static int mode(Path p) throws Exception {
    return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
  }
}
