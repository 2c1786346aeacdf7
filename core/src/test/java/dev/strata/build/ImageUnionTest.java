package dev.strata.build;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.image.Compression;
import dev.strata.image.Image;
import dev.strata.layer.IngestLimits;
import dev.strata.layer.TarPeers;
import dev.strata.layout.Store;
import dev.strata.transfer.Images;
import dev.strata.transfer.Puller;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An image opened read-write as a library: changed by path, committed, read back by umoci. */
class ImageUnionTest {
  @TempDir Path dir;

  @Test
  void changesThroughTheEngineBecomeALayerOfThemOnly() throws Exception {
    BuildOptions options = GoldenImages.options(Compression.NONE, dir.resolve("s"));
    Image base = GoldenImages.twoLayers(options);
    Store store = Store.open(dir.resolve("store"));
    Path src = Files.createDirectories(dir.resolve("src"));
    Files.writeString(src.resolve("app.conf"), "x=1\n");
    Image changed;
    try (ImageUnion union = ImageUnion.open(store, base)) {
      assertThat(new String(union.readFile("/etc/motd"), UTF_8)).isEqualTo("hello from strata\n");
      union.delete("/usr/bin/tool");
      union.delete("/no/such/path");
      union.writeFile("/etc/motd", "changed\n".getBytes(UTF_8), FileAttributes.mode(0644));
      union.copy(src, "/opt/app/", CopyOptions.DEFAULTS.withOwner(7, 8), options);
      assertThat(union.exists("/usr/bin/tool")).isFalse();
      assertThat(union.exists("/usr/bin/alias")).isTrue();
      assertThat(union.engine().syncs()).as("a scratch upper: fsync writes nothing").isFalse();
      changed = union.commit(options, "edit");
    }
    assertThat(changed.layers()).hasSize(3);
    assertThat(changed.config().history().get(2).createdBy()).isEqualTo("edit");
    Path tar = dir.resolve("layer.tar");
    try (InputStream in = changed.layers().get(2).open()) {
      Files.copy(in, tar);
    }
    assertThat(TarPeers.gnuTarNames(tar)).containsExactly(
        "etc", "etc/motd", "opt", "opt/app", "opt/app/app.conf", "usr", "usr/bin", "usr/bin/.wh.tool");

    new Puller(store, IngestLimits.DEFAULT, e -> { }).pull(Images.source(changed, "changed"), "changed",
        dev.strata.image.Platform.current());
    Path bundle = dir.resolve("bundle");
    TarPeers.ok(dir, "umoci", "unpack", "--image", store.root() + ":changed", bundle.toString());
    Path rootfs = bundle.resolve("rootfs");
    assertThat(Files.readString(rootfs.resolve("etc/motd"))).isEqualTo("changed\n");
    assertThat(rootfs.resolve("usr/bin/tool")).doesNotExist();
    assertThat(Files.getAttribute(rootfs.resolve("opt/app/app.conf"), "unix:uid")).isEqualTo(7);
    assertThat(Files.getAttribute(rootfs.resolve("opt/app/app.conf"), "unix:gid")).isEqualTo(8);

    try (ImageUnion again = ImageUnion.open(store, changed)) {
      assertThat(new String(again.readFile("/opt/app/app.conf"), UTF_8)).isEqualTo("x=1\n");
    }
  }

  /** A flattened image unpacks (umoci) to the same tree as the image it flattens. */
  @Test
  void flattenKeepsTheMergedTree() throws Exception {
    BuildOptions options = GoldenImages.options(Compression.GZIP, dir.resolve("s"));
    Image golden = GoldenImages.twoLayers(options);
    Store store = Store.open(dir.resolve("store"));
    Image flat;
    try (ImageUnion union = ImageUnion.open(store, golden)) {
      flat = union.flatten(options);
    }
    assertThat(flat.layers()).hasSize(1);
    assertThat(flat.config().history()).singleElement().satisfies(h -> assertThat(h.createdBy()).startsWith("strata flatten"));
    assertThat(flat.config().entrypoint()).isEqualTo(golden.config().entrypoint());
    dev.strata.transfer.ImageLocation.inStore(store, "golden").write(golden);
    dev.strata.transfer.ImageLocation.inStore(store, "flat").write(flat);
    assertThat(listing(store, "flat")).isEqualTo(listing(store, "golden")).contains("usr/bin/tool -rwsr-xr-x 0 0");
  }

  private String listing(Store store, String name) throws Exception {
    Path bundle = dir.resolve("bundle-" + name);
    TarPeers.ok(dir, "umoci", "unpack", "--image", store.root() + ":" + name, bundle.toString());
    return new String(TarPeers.ok(bundle.resolve("rootfs"), "sh", "-c",
        "find . -mindepth 1 -printf '%P %M %U %G %s %l %T@\\n' | sort; find . -type f -exec md5sum {} + | sort"),
        UTF_8);
  }
}
