package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store is an OCI image layout, so other tools write images into it: skopeo copies one in,
 * and strata must list it, mount it and run it as if it had pulled it (indexing its layers at
 * the first mount), and say so when an image cannot be mounted. Needs root (FUSE, bubblewrap).
 */
class ForeignImageTest {
  @TempDir
  Path dir;

  private Path skopeoCopyIn(String name) throws Exception {
    Path store = dir.resolve("store");
    Strata.run(store, "images").assertOk(); // makes the store
    Commands.run(List.of("skopeo", "copy", "-q", "oci:" + TestImages.tiny() + ":3layer", "oci:" + store + ":" + name));
    return store;
  }

  @Test
  void anImageSkopeoCopiedIntoTheStoreIsListedMountedAndRunLikeAPulledOne() throws Exception {
    Path store = skopeoCopyIn("foreign");
    Strata.Run images = Strata.run(store, "images").assertOk();
    assertThat(images.out()).contains("foreign").doesNotContain("broken");

    Path mp = Files.createDirectories(dir.resolve("mnt"));
    Strata.Run mount = Strata.run(store, "mount", "--read-only", "foreign", mp.toString()).assertOk();
    List<String> seen;
    try {
      seen = listing(mp);
    } finally {
      Strata.run(store, "umount", mp.toString()).assertOk();
    }
    // What umoci unpacks from the same layout is what the mount shows.
    Path bundle = dir.resolve("bundle");
    Commands.run(List.of("umoci", "unpack", "--image", TestImages.tiny() + ":3layer", bundle.toString()));
    assertThat(seen).isEqualTo(listing(bundle.resolve("rootfs"))).isNotEmpty();
    Store s = Store.open(store);
    StoredImage image = StoredImage.load(s, "foreign");
    for (var diffId : image.config().diffIds()) {
      assertThat(s.layers().contains(diffId)).as("index of %s", diffId).isTrue();
    }
    Strata.run(store, "fsck").assertOk();

    Commands.Result run = Commands.exec(StrataProcess.command(store, "run", "--rm", "foreign", "--", "/bin/sh", "-c",
        "echo from $(basename /bin/busybox)"), java.util.Map.of());
    assertThat(run.exit()).as(run.out() + run.err()).isZero();
    assertThat(run.out()).contains("from busybox");
  }

  @Test
  void twoMountsAtOnceIndexTheImageRightly() throws Exception {
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
      for (int i = 0; i < 2; i++) {
        assertThat(mounts.get(i).waitFor(3, TimeUnit.MINUTES)).isTrue();
        assertThat(mounts.get(i).exitValue()).as(Files.readString(dir.resolve("mount" + i + ".log"))).isZero();
      }
      assertThat(listing(points.get(0))).isEqualTo(listing(points.get(1))).isNotEmpty();
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
  }

  /** Every path under {@code root} with its type, mode and size, as find(1) prints them. */
  private static List<String> listing(Path root) throws Exception {
    String out = Commands.run(List.of("find", root.toString(), "-mindepth", "1", "-printf", "%P %y %m %s\\n"));
    List<String> lines = new ArrayList<>();
    for (String l : out.split("\n")) {
      if (!l.isEmpty()) {
        lines.add(l.replaceAll(" d (\\d+) \\d+$", " d $1"));
      }
    }
    lines.sort(null);
    return lines;
  }
}
