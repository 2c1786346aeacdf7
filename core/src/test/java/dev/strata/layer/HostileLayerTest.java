package dev.strata.layer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.blob.ContentStore;
import dev.strata.blob.ObjectBatch;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Layers Strata must refuse. Each starts with an innocent file so that something is staged
 * before the bad entry: after the refusal and an uncommitted close, nothing may be visible.
 */
class HostileLayerTest {
  @TempDir
  Path dir;
  private ContentStore objects;

  @BeforeEach
  void setUp() {
    objects = ContentStore.fannedOut(dir.resolve("objects"), dir.resolve("tmp"));
  }

  static Stream<Arguments> hostileEntries() {
    return Stream.of(
        refused("parent escape", t -> t.file("../etc/passwd", "root::0:0::/:/bin/sh"), "path contains '..'"),
        refused("escape in the middle", t -> t.file("a/../../x", "x"), "path contains '..'"),
        refused("escape at the end", t -> t.dir("a/.."), "path contains '..'"),
        refused("absolute path", t -> t.file("/etc/passwd", "x"), "absolute path"),
        refused("absolute directory", t -> t.dir("/"), "absolute path"),
        refused("NUL in a PAX path", t -> t.paxRecord("path", "a\0b").file("ab", "x"), "NUL byte"),
        refused("write through a symlink of the same layer",
            t -> t.symlink("a", "/etc").file("a/passwd", "x"), "goes through the symlink 'a'"),
        refused("symlink after entries inside it",
            t -> t.file("a/passwd", "x").symlink("a", "/etc"), "replaces the directory that earlier entries"),
        refused("file replacing the directory of earlier entries",
            t -> t.dir("a").file("a/x", "x").file("a", "y"), "duplicate entry"),
        refused("directory through a symlink", t -> t.symlink("a", "/").dir("a/etc"), "goes through the symlink 'a'"),
        refused("deep write through a symlink",
            t -> t.dir("usr").symlink("usr/lib", "/lib").file("usr/lib/x/y", "y"), "symlink 'usr/lib'"),
        refused("whiteout through a symlink", t -> t.symlink("a", "/etc").whiteout("a/passwd"),
            "goes through the symlink 'a'"),
        refused("write under a regular file", t -> t.file("f", "f").file("f/g", "g"), "parent 'f' is not a directory"),
        refused("hard link out of the root", t -> t.hardlink("l", "../x"), "path contains '..'"),
        refused("hard link to an absolute path", t -> t.hardlink("l", "/etc/shadow"), "absolute path"),
        refused("hard link to a missing file", t -> t.hardlink("l", "missing"),
            "hard link to 'missing', which no earlier entry or lower layer holds"),
        refused("hard link to a later entry", t -> t.hardlink("l", "later").file("later", "x"),
            "which no earlier entry"),
        refused("hard link to a directory", t -> t.dir("d").hardlink("l", "d"), "which is a directory"),
        refused("hard link to a symlink", t -> t.symlink("s", "first").hardlink("l", "s"), "which is a symlink"),
        refused("hard link to a device", t -> t.charDevice("c", 1, 3).hardlink("l", "c"), "which is a char_device"),
        refused("hard link to the root", t -> t.hardlink("l", "./"), "hard link to the root"),
        refused("hard link through a symlink", t -> t.symlink("s", "/etc").hardlink("l", "s/shadow"),
            "goes through the symlink 's'"),
        refused("duplicate path", t -> t.file("dup", "1").file("dup", "2"), "duplicate entry for path 'dup'"),
        refused("duplicate after normalization", t -> t.dir("d").dir("./d/"), "duplicate entry for path 'd'"),
        refused("duplicate of another kind", t -> t.dir("x").symlink("x", "/"), "duplicate entry for path 'x'"),
        refused("bare whiteout", t -> t.file(".wh.", ""), "'.wh.' alone"),
        refused("whiteout of the directory itself", t -> t.file("etc/.wh..", ""), "whiteout of '.'"),
        refused("whiteout of the parent", t -> t.file("etc/.wh...", ""), "whiteout of '..'"),
        refused("whiteout that is a directory", t -> t.dir(".wh.x"), "a whiteout must not be a directory"),
        refused("opaque marker that is a directory", t -> t.dir("d/.wh..wh..opq"), "must not be a directory"),
        refused("AUFS hard-link metadata", t -> t.file(".wh..wh.plnk", ""), "unsupported AUFS metadata"),
        refused("root that is a file", t -> t.raw(".", TarConstants.LF_NORMAL, "x".getBytes(UTF_8)),
            "the layer root must be a directory"),
        refused("symlink without a target", t -> t.symlink("s", ""), "symlink without a target"),
        refused("symlink target with NUL", t -> t.paxRecord("linkpath", "a\0b").symlink("s", "ab"), "NUL byte"),
        refused("unknown entry type", t -> t.raw("z", (byte) 'Z', new byte[0]), "unsupported tar entry type 'Z'"),
        refused("GNU volume label", t -> t.raw("label", (byte) 'V', new byte[0]), "unsupported tar entry type 'V'"),
        refused("GNU multi-volume continuation", t -> t.raw("part", TarConstants.LF_MULTIVOLUME, "tail".getBytes(UTF_8)),
            "unsupported tar entry type 'M'"),
        refused("a name of 256 bytes", t -> t.file("d/" + "n".repeat(256), "x"),
            "a name of 256 bytes, longer than the 255 a Linux filesystem holds"),
        refused("a directory name of 300 bytes", t -> t.dir("d".repeat(300)), "a name of 300 bytes"),
        refused("a name of 128 two-byte characters", t -> t.file("\u00fc".repeat(128), "x"), "a name of 256 bytes"),
        refused("a hard link to a name of 256 bytes", t -> t.hardlink("l", "n".repeat(256)),
            "entry 'l': hard link target '" + "n".repeat(256) + "': a name of 256 bytes"),
        refused("a whiteout of a name of 256 bytes", t -> t.whiteout("d/" + "n".repeat(256)), "a name of 260 bytes"),
        refused("a name of 256 bytes above others", t -> t.file("a/" + "n".repeat(256) + "/b", "x"),
            "a name of 256 bytes"),
        refused("a file whose name ends in '/' and holds bytes, a tar of its own",
            t -> t.header("etc/", '0', SMUGGLED.length).bytes(SMUGGLED).file("ok", "x"), "whose name ends in '/' holds 1024 bytes"),
        refused("an old-style file whose name ends in '/' and holds bytes",
            t -> t.header("etc/", (char) 0, SMUGGLED.length).bytes(SMUGGLED), "a file (type '\\0') whose name ends in '/' holds 1024 bytes"),
        refused("a symlink whose name ends in '/'", t -> t.symlink("s/", "t"), "an entry of type '2' whose name ends in '/'"),
        refused("a symlink target of 4096 bytes", t -> t.symlink("s", "t".repeat(4096)),
            "symlink target of 4096 bytes, longer than 4095"),
        refused("two PAX headers for one entry",
            t -> t.pax('x', Map.of("path", "a".getBytes(UTF_8))).paxRecord("path", "b").file("b", "x"),
            "two PAX headers for one tar entry"),
        refused("a global PAX header that sizes every entry",
            t -> t.pax('g', Map.of("size", "1".getBytes(UTF_8))).file("a", "x"),
            "a global PAX header sets the size of every entry"),
        refused("paths in other messages are escaped too",
            t -> t.file("e\u001b]0;x\u0007", "1").file("e\u001b]0;x\u0007", "2"),
            "duplicate entry for path 'e\\033]0;x\\a'"),
        refused("control characters in the name are escaped",
            t -> t.file("evil\u001b[2J/../x", "x"), "entry 'evil\\033[2J/../x'"));
  }

  /** A tar member that is itself a tar replacing etc/passwd, without its end marker. */
  private static final byte[] SMUGGLED =
      new TarBuilder().file("etc/passwd", "root::0:0::/:/bin/sh\n").withoutEndMarker().toBytes();

  /**
   * What GNU tar and Python's tarfile make of a regular file whose name ends in '/': its bytes
   * are its content, never more entries; with no bytes it is a directory (the old convention).
   * Strata refuses the first (a mount would otherwise show what no other tool lists) and takes
   * the second as they do.
   */
  @Test
  void aFileNamedLikeADirectoryIsReadByItsTypeAsGnuTarReadsIt(@TempDir Path tmp)
      throws Exception {
    Path smuggling = tmp.resolve("smuggling.tar");
    java.nio.file.Files.write(smuggling, new TarBuilder().header("etc/", '0', SMUGGLED.length).bytes(SMUGGLED).file("ok", "x").toBytes());
    assertThat(TarPeers.gnuTarNames(smuggling)).containsExactly("etc", "ok");
    assertThat(TarPeers.pythonNames(smuggling)).doesNotContain("etc/passwd").contains("ok");
    assertRefused(new ByteArrayInputStream(java.nio.file.Files.readAllBytes(smuggling)), IngestLimits.DEFAULT,
        "entry 'etc/': a file (type '0') whose name ends in '/' holds 1024 bytes");

    Path oldStyle = tmp.resolve("old-style.tar");
    java.nio.file.Files.write(oldStyle, new TarBuilder().header("d/", (char) 0, 0).file("d/f", "x").toBytes());
    assertThat(TarPeers.gnuTarNames(oldStyle)).containsExactly("d", "d/f");
    try (ObjectBatch batch = objects.batch()) {
      LayerIngest.Result r = LayerIngest.ingest(new ByteArrayInputStream(java.nio.file.Files.readAllBytes(oldStyle)), batch,
          LowerFiles.NONE, IngestLimits.DEFAULT);
      assertThat(r.entries()).filteredOn(e -> e.path().equals("d")).extracting(LayerEntry::kind)
          .containsExactly(EntryKind.DIRECTORY);
    }
  }

  private static Arguments refused(String name, UnaryOperator<TarBuilder> layer, String problem) {
    byte[] tar = layer.apply(new TarBuilder().file("innocent", "staged before the bad entry")).toBytes();
    return Arguments.of(Named.of(name, tar), problem);
  }

  @ParameterizedTest
  @MethodSource("hostileEntries")
  void refusesTheLayerAndLeavesNothingVisible(byte[] tar, String problem) throws IOException {
    assertRefused(new ByteArrayInputStream(tar), IngestLimits.DEFAULT, problem);
  }

  @Test
  void anAbsolutePaxPathNeverStaysAbsolute() throws IOException {
    // The tar reader strips the slash of a PAX path (not of a ustar name); refusing is as good.
    byte[] tar = new TarBuilder().paxRecord("path", "/etc/shadow").file("shadow", "x").toBytes();

    try (ObjectBatch batch = objects.batch()) {
      LayerIngest.Result r = LayerIngest.ingest(new ByteArrayInputStream(tar), batch, LowerFiles.NONE,
          IngestLimits.DEFAULT);
      assertThat(r.entries()).extracting(LayerEntry::path).containsExactly("etc/shadow");
    } catch (UnsafeLayerException e) {
      assertThat(e).hasMessageContaining("absolute path");
    }
  }

  @Test
  void aHeaderBlockWithABadChecksumIsRefusedNotSkipped() throws IOException {
    // The tar reader does not check; GNU tar skips the block and fails at the end.
    byte[] tar = new TarBuilder().file("innocent", "x").file("second", "y").toBytes();
    tar[1024 + 1] ^= 1;

    assertRefused(new ByteArrayInputStream(tar), IngestLimits.DEFAULT,
        "corrupt tar header block at byte 1024: its checksum does not match");
  }

  @Test
  void namesAndLinkTargetsUpToTheKernelsLimitsAreAccepted() throws IOException {
    // What umoci unpacks through the kernel: names of NAME_MAX bytes, a whiteout of one, a
    // symlink target of PATH_MAX - 1 bytes, and one whose components are longer than a name
    // (a symlink's target is not a name: symlink(2) takes it whole).
    String longest = "n".repeat(255);
    byte[] tar = new TarBuilder().file("d/" + longest, "x").hardlink("l", "d/" + longest).whiteout("w/" + longest)
        .symlink("s", "t".repeat(4095)).symlink("c", "a/" + "t".repeat(300)).toBytes();

    try (ObjectBatch batch = objects.batch()) {
      LayerIngest.Result r = LayerIngest.ingest(new ByteArrayInputStream(tar), batch, LowerFiles.NONE,
          IngestLimits.DEFAULT);
      assertThat(r.entries()).extracting(LayerEntry::path)
          .contains("d/" + longest, "l", "w/.wh." + longest, "s", "c");
      assertThat(r.entries()).filteredOn(e -> e.path().equals("s")).extracting(LayerEntry::linkTarget)
          .containsExactly("t".repeat(4095));
    }
  }

  @Test
  void tooManyEntries() throws IOException {
    byte[] tar = new TarBuilder().file("1", "1").file("2", "2").file("3", "3").file("4", "4").toBytes();
    IngestLimits three = new IngestLimits(1 << 20, 3, 1 << 20);

    assertRefused(new ByteArrayInputStream(tar), three, "layer has more than 3 entries");
  }

  @Test
  void exactlyTheEntryLimitIsAccepted() throws IOException {
    byte[] tar = new TarBuilder().file("1", "1").file("2", "2").file("3", "3").toBytes();

    try (ObjectBatch batch = objects.batch()) {
      LayerIngest.Result r = LayerIngest.ingest(new ByteArrayInputStream(tar), batch, LowerFiles.NONE,
          new IngestLimits(1 << 20, 3, 1 << 20));
      assertThat(r.entries()).hasSize(3);
    }
  }

  @Test
  void oversizedPaxHeaderFailsBeforeItIsRead() throws IOException {
    // Declares 2 MiB of PAX records but holds none: the refusal must come from the header alone.
    byte[] tar = new TarBuilder().file("innocent", "x").header("PaxHeaders/big", 'x', 2 << 20).toBytes();

    assertRefused(new ByteArrayInputStream(tar), IngestLimits.DEFAULT,
        "a tar 'x' header of 2097152 bytes exceeds the limit of 1048576 bytes");
  }

  @Test
  void oversizedGnuLongNameFails() throws IOException {
    byte[] tar = new TarBuilder().file("innocent", "x").header("././@LongLink", 'L', 64L << 20).toBytes();

    assertRefused(new ByteArrayInputStream(tar), IngestLimits.DEFAULT, "a tar 'L' header of 67108864 bytes");
  }

  @Test
  void oversizedGlobalPaxHeaderFails() throws IOException {
    byte[] tar = new TarBuilder().header("pax_global_header", 'g', 4L << 30).toBytes();

    assertRefused(new ByteArrayInputStream(tar), IngestLimits.DEFAULT, "a tar 'g' header of 4294967296 bytes");
  }

  @Test
  void paxHeaderAtTheLimitIsAccepted() throws IOException {
    String comment = "c".repeat(1000);
    byte[] tar = new TarBuilder().xattr("user.big", comment).file("f", "f").toBytes();

    try (ObjectBatch batch = objects.batch()) {
      LayerIngest.Result r = LayerIngest.ingest(new ByteArrayInputStream(tar), batch, LowerFiles.NONE,
          new IngestLimits(1 << 20, 10, 1024 + 512));
      assertThat(r.entries().get(0).xattrs().get("user.big").toArray()).isEqualTo(comment.getBytes(UTF_8));
    }
  }

  @Test
  void truncatedInsideFileContent() throws IOException {
    byte[] tar = new TarBuilder().file("innocent", "x").file("cut", "y".repeat(5000)).toBytes();
    byte[] cut = java.util.Arrays.copyOf(tar, 512 * 4 + 100);

    assertRefused(new ByteArrayInputStream(cut), IngestLimits.DEFAULT, "truncated");
  }

  @Test
  void truncatedInsideLargeFileContent() throws IOException {
    byte[] tar = new TarBuilder().file("innocent", "x").zeros("big", 3 << 20).toBytes();
    byte[] cut = java.util.Arrays.copyOf(tar, 2 << 20);

    assertRefused(new ByteArrayInputStream(cut), IngestLimits.DEFAULT, "truncated");
  }

  @Test
  void truncatedInsideAHeaderBlock() throws IOException {
    byte[] tar = new TarBuilder().file("innocent", "x").file("second", "y").toBytes();
    byte[] cut = java.util.Arrays.copyOf(tar, 512 * 2 + 300);

    assertRefused(new ByteArrayInputStream(cut), IngestLimits.DEFAULT, "truncated");
  }

  @Test
  void truncatedInsideContentPadding() throws IOException {
    byte[] tar = new TarBuilder().file("innocent", "x").file("second", "y").toBytes();
    byte[] cut = java.util.Arrays.copyOf(tar, 512 * 3 + 10);

    assertRefused(new ByteArrayInputStream(cut), IngestLimits.DEFAULT,
        "entry 'second' (tar header at byte 1024): the stream ends inside its data, at byte 1546 (truncated)");
  }

  @Test
  void endingBetweenEntriesWithoutEndMarkerIsAccepted() throws IOException {
    // Go's archive/tar and GNU tar accept this too; the DiffID still covers exactly these bytes.
    byte[] tar = new TarBuilder().file("a", "a").withoutEndMarker().toBytes();

    try (ObjectBatch batch = objects.batch()) {
      LayerIngest.Result r = LayerIngest.ingest(new ByteArrayInputStream(tar), batch, LowerFiles.NONE,
          IngestLimits.DEFAULT);
      assertThat(r.entries()).extracting(LayerEntry::path).containsExactly("a");
      assertThat(r.uncompressedSize()).isEqualTo(1024);
    }
  }

  @Test
  void garbageAfterTheEndMarkerIsDigestedNotParsed() throws IOException {
    byte[] tar = new TarBuilder().file("a", "a").toBytes();
    byte[] withTail = java.util.Arrays.copyOf(tar, tar.length + 700);
    withTail[withTail.length - 1] = 'x';

    try (ObjectBatch batch = objects.batch()) {
      LayerIngest.Result r = LayerIngest.ingest(new ByteArrayInputStream(withTail), batch, LowerFiles.NONE,
          IngestLimits.DEFAULT);
      assertThat(r.entries()).hasSize(1);
      assertThat(r.uncompressedSize()).isEqualTo(withTail.length);
    }
  }

  @Test
  void uncompressedSizeLimitStopsAPlainTar() throws IOException {
    byte[] tar = new TarBuilder().file("innocent", "x").zeros("big", 3 << 20).toBytes();

    assertRefused(new ByteArrayInputStream(tar), new IngestLimits(1 << 20, 100, 1 << 20),
        "layer expands to more than 1048576 bytes");
  }

  private void assertRefused(InputStream tar, IngestLimits limits, String problem) throws IOException {
    try (ObjectBatch batch = objects.batch()) {
      assertThatThrownBy(() -> LayerIngest.ingest(tar, batch, LowerFiles.NONE, limits))
          .isInstanceOf(UnsafeLayerException.class)
          .hasMessageContaining(problem);
    }
    assertNothingVisible();
  }

  private void assertNothingVisible() throws IOException {
    assertThat(objects.list(stray -> { })).isEmpty();
    Path tmp = dir.resolve("tmp");
    try (Stream<Path> files = Files.walk(tmp)) {
      List<Path> left = files.filter(p -> !p.equals(tmp)).toList();
      assertThat(left).isEmpty();
    }
  }
}
