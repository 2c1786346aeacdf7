package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store is an OCI image layout, so other tools write images into it: skopeo copies one in,
 * and strata must list it, mount it and run it as if it had pulled it (indexing its layers at
 * the first mount), and say so when an image cannot be mounted. Needs root (FUSE, runc).
 */
class ForeignImageTest {
  @TempDir
  Path dir;

  private Path skopeoCopyIn(String name) throws Exception {
    return skopeoCopyIn(TestImages.tiny(), "3layer", name);
  }

  /** Makes a store and lets skopeo copy the image {@code tag} of {@code layout} into it as {@code name}. */
  private Path skopeoCopyIn(Path layout, String tag, String name) throws Exception {
    Path store = dir.resolve("store");
    Strata.run(store, "images").assertOk();
    Commands.run(List.of("skopeo", "copy", "-q", "oci:" + layout + ":" + tag, "oci:" + store + ":" + name));
    return store;
  }

  @Test
  void anImageSkopeoCopiedIntoTheStoreIsListedMountedAndRunLikeAPulledOne() throws Exception {
    Path store = skopeoCopyIn("foreign");
    Strata.Run images = Strata.run(store, "images").assertOk();
    assertThat(images.out()).contains("foreign").doesNotContain("broken");
    // Not yet indexed is not a fault: the first mount indexes.
    assertThat(Strata.run(store, "fsck").assertOk().out()).contains("all good");
    assertThat(Strata.run(store, "inspect", "foreign").assertOk().out()).contains("not indexed yet");

    Path mp = Files.createDirectories(dir.resolve("mnt"));
    Strata.Run mount = Strata.run(store, "mount", "--read-only", "foreign", mp.toString()).assertOk();
    assertThat(indexedLines(mount.err())).as(mount.err()).isEqualTo(3);
    List<String> seen;
    try {
      seen = RootListing.of(mp);
    } finally {
      Strata.run(store, "umount", mp.toString()).assertOk();
    }
    // What umoci unpacks from the same layout is what the mount shows.
    Path bundle = dir.resolve("bundle");
    Commands.run(List.of("umoci", "unpack", "--image", TestImages.tiny() + ":3layer", bundle.toString()));
    assertThat(seen).isEqualTo(RootListing.of(bundle.resolve("rootfs"))).isNotEmpty();
    Store s = Store.open(store);
    StoredImage image = StoredImage.load(s, "foreign");
    for (var diffId : image.config().diffIds()) {
      assertThat(s.layers().contains(diffId)).as("index of %s", diffId).isTrue();
    }
    assertThat(Strata.run(store, "fsck").assertOk().out()).contains("all good");

    Commands.Result run = Commands.exec(StrataProcess.command(store, "run", "--rm", "foreign", "--", "/bin/sh", "-c",
        "echo from $(basename /bin/busybox)"), Map.of());
    assertThat(run.exit()).as(run.out() + run.err()).isZero();
    assertThat(run.out()).contains("from busybox");
    assertThat(indexedLines(run.err())).as("indexed again").isZero();
  }

  @Test
  void twoMountsAtOnceIndexEachLayerOnce() throws Exception {
    Path store = skopeoCopyIn("foreign");
    List<Process> mounts = new ArrayList<>();
    List<Path> points = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      Path mp = Files.createDirectories(dir.resolve("mnt" + i));
      points.add(mp);
      mounts.add(StrataProcess.start(store, dir.resolve("mount" + i + ".log"), "mount", "--read-only", "foreign",
          mp.toString()));
    }
    try {
      int indexed = 0;
      for (int i = 0; i < 2; i++) {
        assertThat(mounts.get(i).waitFor(3, TimeUnit.MINUTES)).isTrue();
        String log = Files.readString(dir.resolve("mount" + i + ".log"));
        assertThat(mounts.get(i).exitValue()).as(log).isZero();
        indexed += indexedLines(log);
      }
      // Whichever mount comes second to a layer finds it indexed under the layer's lock.
      assertThat(indexed).as("layers indexed by the two mounts together").isEqualTo(3);
      assertThat(RootListing.of(points.get(0))).isEqualTo(RootListing.of(points.get(1))).isNotEmpty();
    } finally {
      for (Path mp : points) {
        Strata.run(store, "umount", mp.toString());
      }
    }
    Strata.run(store, "fsck").assertOk();
  }

  @Test
  void anImageWhoseLayerBlobIsGoneIsListedAsUnmountableAndRefusedClearly() throws Exception {
    Path store = skopeoCopyIn("foreign");
    String digest = StoredImage.load(Store.open(store), "foreign").manifest().layers().get(1).digest().hex();
    Files.delete(store.resolve("blobs/sha256/" + digest));

    Strata.Run images = Strata.run(store, "images").assertOk();
    assertThat(images.out()).contains("foreign").contains("cannot be mounted: layer 2 (sha256:" + digest + ")");
    assertThat(Strata.run(store, "images", "--json").assertOk().out()).contains("\"error\"")
        .contains("cannot be mounted");

    Path mp = Files.createDirectories(dir.resolve("mnt"));
    Strata.Run mount = Strata.run(store, "mount", "--read-only", "foreign", mp.toString());
    assertThat(mount.exit()).isEqualTo(1);
    assertThat(mount.err()).contains("layer 2 (sha256:" + digest + ") has neither an index nor its blob");
    assertThat(Strata.run(store, "fsck").out()).contains("BAD image foreign: cannot be mounted: layer 2");
  }

  @Test
  void anImageWhoseConfigIsGoneIsListedAsBroken() throws Exception {
    Path store = skopeoCopyIn("foreign");
    String config = StoredImage.load(Store.open(store), "foreign").manifest().config().digest().toString();
    Files.delete(store.resolve("blobs/sha256/" + config.substring("sha256:".length())));
    assertThat(Strata.run(store, "images").assertOk().out()).contains("foreign")
        .contains("broken: image 'foreign': config blob " + config + " is missing");
  }

  @Test
  void aHostileLayerAnotherToolWroteIsRefusedAtTheFirstMountAsAtAPull() throws Exception {
    Path store = skopeoCopyIn(OciLayouts.pathTraversal(dir.resolve("img"), "bad"), "bad", "bad");
    String layer = StoredImage.load(Store.open(store), "bad").manifest().layers().get(0).digest().toString();

    Path mp = Files.createDirectories(dir.resolve("mnt"));
    Strata.Run mount = Strata.run(store, "mount", "--read-only", "bad", mp.toString());
    assertThat(mount.exit()).as(mount.out() + mount.err()).isEqualTo(1);
    assertThat(mount.err()).contains("layer " + layer + ": entry '../../escaped.txt': path contains '..'");
    assertThat(Store.open(store).layers().list()).isEmpty();
    assertThat(OciLayouts.escaped(dir)).isEmpty();
  }

  @Test
  void anImageAnotherToolWroteIsPushedToADockerArchiveWithItsLayersAsTheirDiffIdsSay() throws Exception {
    Path store = skopeoCopyIn("foreign");
    Path archive = dir.resolve("foreign.tar");
    Strata.run(store, "push", "foreign", "docker-archive:" + archive).assertOk();
    // skopeo reads the archive back; each layer.tar in it hashes to its diff id.
    String config = Commands.run(List.of("skopeo", "inspect", "--config", "docker-archive:" + archive));
    List<String> diffIds = StoredImage.load(Store.open(store), "foreign").config().diffIds().stream()
        .map(Object::toString).toList();
    assertThat(config).contains(diffIds);
    for (String diffId : diffIds) {
      String hex = diffId.substring("sha256:".length());
      String sum = Commands.run(List.of("sh", "-c", "tar -xOf \"$1\" \"$2/layer.tar\" | sha256sum", "sh",
          archive.toString(), hex));
      assertThat(sum).startsWith(hex);
    }
  }

  /** How many layers a command said it indexed. */
  private static int indexedLines(String output) {
    return (int) output.lines().filter(l -> l.startsWith("indexed layer ")).count();
  }
}
