package dev.strata.union;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.strata.host.Errno;
import dev.strata.layer.Bytes;
import dev.strata.layer.LayerIndex;
import dev.strata.layer.LowerFiles;
import dev.strata.layer.TarBuilder;
import dev.strata.layout.Store;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The changeset rules of a store layer beyond what the conformance suite covers. */
class StoreLayerTest {
  @TempDir Path dir;
  private Store store;

  @BeforeEach
  void setUp() throws IOException {
    store = Store.open(dir.resolve("store"));
  }

  private StoreLayer layer(TarBuilder tar) throws IOException {
    return StoreLayer.open(LayerFixture.ingest(store, tar.toBytes(), LowerFiles.NONE), store.objects());
  }

  @Test
  void hardLinksToALowerLayerFileShowItsContent() throws IOException {
    LayerIndex lower = LayerFixture.ingest(store,
        new TarBuilder().file("bin/busybox", "busybox").file("bin/cat", "cat").toBytes(), LowerFiles.NONE);
    byte[] upper = new TarBuilder().mode(0755).hardlink("bin/sh", "bin/busybox").mode(0755)
        .hardlink("bin/ash", "bin/busybox").hardlink("bin/tac", "bin/cat").toBytes();
    StoreLayer layer = StoreLayer.open(LayerFixture.ingest(store, upper, lower::get), store.objects());

    LowerEntry sh = layer.stat("bin/sh");
    assertThat(sh.type()).isEqualTo(FileType.REGULAR);
    assertThat(sh.size()).isEqualTo(7);
    assertThat(sh.mode()).isEqualTo(0755);
    // Two names of one lower inode are one inode in this layer too.
    assertThat(sh.nlink()).isEqualTo(2);
    assertThat(layer.stat("bin/ash").identity()).isEqualTo(sh.identity());
    LowerEntry tac = layer.stat("bin/tac");
    assertThat(tac.nlink()).isEqualTo(1);
    assertThat(tac.identity()).isNotEqualTo(sh.identity());
    assertThat(read(layer, "bin/tac")).isEqualTo("cat");
    assertThat(read(layer, "bin/ash")).isEqualTo("busybox");
    assertThat(layer.stat("bin").implied()).isTrue();
  }

  @Test
  void aSymlinkIs0777WhateverItsHeaderSays() throws IOException {
    // symlink(2) makes every link 0777: what umoci unpacks and the kernel's overlay shows.
    StoreLayer layer = layer(new TarBuilder().mode(0644).symlink("s", "t"));

    assertThat(layer.stat("s").type()).isEqualTo(FileType.SYMLINK);
    assertThat(layer.stat("s").mode()).isEqualTo(0777);
  }

  @Test
  void aLinkToALowerFileAndANewFileOfTheSamePathAreTwoInodes() throws IOException {
    LayerIndex lower = LayerFixture.ingest(store, new TarBuilder().file("x", "old").toBytes(), LowerFiles.NONE);
    byte[] upper = new TarBuilder().hardlink("y", "x").file("x", "new!").hardlink("z", "x").toBytes();
    LayerIndex index = LayerFixture.ingest(store, upper, lower::get);
    // Ingest puts all three names in one link group (LayerIngest keys groups by target path); the
    // layer tells the two inodes apart by their content.
    StoreLayer layer = StoreLayer.open(index, store.objects());

    assertThat(read(layer, "y")).isEqualTo("old");
    assertThat(read(layer, "z")).isEqualTo("new!");
    assertThat(layer.stat("y").nlink()).isEqualTo(1);
    assertThat(layer.stat("x").nlink()).isEqualTo(2);
    assertThat(layer.stat("z").identity()).isEqualTo(layer.stat("x").identity())
        .isNotEqualTo(layer.stat("y").identity());
  }

  @Test
  void aWhiteoutOfANameTheLayerCreatesDeletesOnlyWhatIsBelow() throws IOException {
    StoreLayer layer = layer(new TarBuilder().dir("a").file("a/x", "x").whiteout("a").file("f", "f").whiteout("f")
        .symlink("l", "f").whiteout("l"));

    assertThat(layer.stat("a").type()).isEqualTo(FileType.DIRECTORY);
    assertThat(layer.stat("a").opaque()).isTrue();
    assertThat(layer.stat("f").type()).isEqualTo(FileType.REGULAR);
    assertThat(layer.stat("l").type()).isEqualTo(FileType.SYMLINK);
    assertThat(layer.list("")).extracting(LowerEntry::name, LowerEntry::type).containsExactlyInAnyOrder(
        tuple("a", FileType.DIRECTORY), tuple("f", FileType.REGULAR), tuple("l", FileType.SYMLINK));
  }

  @Test
  void aWhiteoutOfADirectoryTheLayerFillsMakesItOpaque() throws IOException {
    StoreLayer layer = layer(new TarBuilder().whiteout("a").file("a/b/c", "c").whiteout("d").opaque("d/e")
        .whiteout("g").whiteout("g/h"));

    assertThat(layer.stat("a").type()).isEqualTo(FileType.DIRECTORY);
    assertThat(layer.stat("a").implied()).isTrue();
    assertThat(layer.stat("a").opaque()).isTrue();
    assertThat(layer.stat("a/b").opaque()).isFalse();
    assertThat(layer.stat("a/b/c").type()).isEqualTo(FileType.REGULAR);
    assertThat(layer.stat("d").opaque()).isTrue();
    assertThat(layer.stat("d/e").opaque()).isTrue();
    // Below a deleted name, further whiteouts delete nothing more.
    assertThat(layer.stat("g").type()).isEqualTo(FileType.WHITEOUT);
    assertThat(layer.stat("g/h")).isNull();
    assertThat(layer.list("")).extracting(LowerEntry::name, LowerEntry::type).containsExactlyInAnyOrder(
        tuple("a", FileType.DIRECTORY), tuple("d", FileType.DIRECTORY), tuple("g", FileType.WHITEOUT));
  }

  @Test
  void whiteoutsUnderAFileOfTheLayerAreDropped() throws IOException {
    // umoci writes the whiteouts of a directory's old children after the file that replaced it.
    StoreLayer layer = layer(new TarBuilder().file("x", "now a file").whiteout("x/old").opaque("x"));

    assertThat(layer.stat("x").type()).isEqualTo(FileType.REGULAR);
    assertThat(layer.stat("x").opaque()).isFalse();
    assertThat(layer.stat("x/old")).isNull();
    assertThat(layer.list("x")).isEmpty();
    assertThat(layer.list("")).extracting(LowerEntry::name).containsExactly("x");
  }

  @Test
  void anOpaqueMarkerAloneMakesAnImpliedOpaqueDirectory() throws IOException {
    StoreLayer layer = layer(new TarBuilder().opaque("d/e"));

    assertThat(layer.stat("d").implied()).isTrue();
    assertThat(layer.stat("d").opaque()).isFalse();
    assertThat(layer.stat("d/e").implied()).isTrue();
    assertThat(layer.stat("d/e").opaque()).isTrue();
    assertThat(layer.list("d/e")).isEmpty();
    assertThat(layer.list("d")).extracting(LowerEntry::name).containsExactly("e");
  }

  @Test
  void anOpaqueRootFromATopLevelMarker() throws IOException {
    StoreLayer layer = layer(new TarBuilder().opaque("").file("a", "a"));

    assertThat(layer.stat("").opaque()).isTrue();
    assertThat(layer.stat("").implied()).isTrue();
    assertThat(layer.list("")).extracting(LowerEntry::name).containsExactly("a");
  }

  @Test
  void anEmptyLayerHasAnImpliedRoot() throws IOException {
    StoreLayer layer = layer(new TarBuilder());

    assertThat(layer.stat("").type()).isEqualTo(FileType.DIRECTORY);
    assertThat(layer.stat("").implied()).isTrue();
    assertThat(layer.stat("").name()).isEmpty();
    assertThat(layer.list("")).isEmpty();
  }

  @Test
  void aRootEntryGivesTheRootItsMetadata() throws IOException {
    StoreLayer layer = layer(new TarBuilder().mode(0700).owner(5, 6, "", "").mtime(Instant.ofEpochSecond(99))
        .dir("./"));

    LowerEntry root = layer.stat("");
    assertThat(root.implied()).isFalse();
    assertThat(root.mode()).isEqualTo(0700);
    assertThat(root.uid()).isEqualTo(5);
    assertThat(root.mtimeSeconds()).isEqualTo(99);
  }

  @Test
  void overlayXattrsOfATarAreNotShown() throws IOException {
    StoreLayer layer = layer(new TarBuilder().xattr("trusted.overlay.opaque", "y").xattr("user.overlay.origin", "o")
        .xattr("user.keep", "k").dir("d"));

    assertThat(layer.xattrs("d")).containsOnlyKeys("user.keep");
    assertThat(layer.xattrs("d").get("user.keep")).isEqualTo(Bytes.copyOf("k".getBytes(UTF_8)));
  }

  @Test
  void blockDevicesCarryTheirNumbers() throws IOException {
    StoreLayer layer = layer(new TarBuilder().blockDevice("dev/nvme", 259, 70000));

    LowerEntry e = layer.stat("dev/nvme");
    assertThat(e.type()).isEqualTo(FileType.BLOCK_DEVICE);
    assertThat(e.rdevMajor()).isEqualTo(259);
    assertThat(e.rdevMinor()).isEqualTo(70000);
    assertThat(e.size()).isZero();
  }

  @Test
  void symlinkSizeIsTheUtf8LengthOfItsTarget() throws IOException {
    StoreLayer layer = layer(new TarBuilder().symlink("l", "caf\u00e9/\u65e5\u672c"));

    assertThat(layer.stat("l").size()).isEqualTo("caf\u00e9/\u65e5\u672c".getBytes(UTF_8).length).isEqualTo(12);
    assertThat(layer.readlink("l")).isEqualTo("caf\u00e9/\u65e5\u672c");
  }

  @Test
  void closeClosesWhatIsOpenAndRefusesMore() throws IOException {
    StoreLayer layer = layer(new TarBuilder().file("a", "abc"));
    FileContent content = layer.open("a");
    assertThat(content.read(0, ByteBuffer.allocate(3))).isEqualTo(3);

    layer.close();

    assertThatThrownBy(() -> content.read(0, ByteBuffer.allocate(3))).isInstanceOf(IOException.class);
    LowerLayerConformanceTest.assertErrno(() -> layer.open("a"), Errno.EBADF);
    assertThat(layer.stat("a")).isNotNull();
  }

  private static String read(LowerLayer layer, String path) throws IOException {
    try (FileContent c = layer.open(path)) {
      return new String(LowerLayerConformanceTest.readAll(c, 4), UTF_8);
    }
  }
}
