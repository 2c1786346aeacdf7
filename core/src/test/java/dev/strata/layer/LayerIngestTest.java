package dev.strata.layer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.collect.ImmutableSortedMap;
import dev.strata.blob.ContentStore;
import dev.strata.blob.ObjectBatch;
import dev.strata.digest.Digest;
import dev.strata.host.Names;
import dev.strata.image.Compression;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerIngestTest {
  /** A security.capability v2 value (cap_net_bind_service, cap_sys_admin) with bytes >= 0x80, NUL and '\n'. */
  static final byte[] CAPABILITY = {
      0x01, 0x00, 0x00, 0x02, 0x00, 0x04, 0x20, (byte) 0x80, 0x00, 0x00, 0x00, 0x00,
      (byte) 0xff, (byte) 0xfe, 0x0a, 0x3d, (byte) 0xc3, 0x28, 0x00, 0x00};

  @TempDir
  Path dir;
  private ContentStore objects;

  @BeforeEach
  void setUp() {
    objects = ContentStore.fannedOut(dir.resolve("objects"), dir.resolve("tmp"));
  }

  @Test
  void regularFilesBecomeObjects() throws IOException {
    byte[] tar = new TarBuilder().dir("./").dir("./etc").file("./etc/hosts", "127.0.0.1 localhost\n")
        .mode(04755).file("usr/bin/su", "#!/bin/sh\n").toBytes();

    LayerIngest.Result result = ingest(tar);

    assertThat(paths(result)).containsExactly("", "etc", "etc/hosts", "usr/bin/su");
    LayerEntry hosts = entry(result, "etc/hosts");
    assertThat(hosts.kind()).isEqualTo(EntryKind.FILE);
    assertThat(hosts.size()).isEqualTo(20);
    assertThat(hosts.mode()).isEqualTo(0644);
    assertThat(hosts.statMode()).isEqualTo(0100644);
    assertThat(hosts.object()).isEqualTo(Digest.sha256("127.0.0.1 localhost\n".getBytes(UTF_8)));
    assertThat(hosts.linkTarget()).isNull();
    assertThat(hosts.linkGroup()).isZero();
    assertThat(objects.readAllBytes(hosts.object())).isEqualTo("127.0.0.1 localhost\n".getBytes(UTF_8));
    assertThat(entry(result, "usr/bin/su").mode()).isEqualTo(04755);
    LayerEntry etc = entry(result, "etc");
    assertThat(etc.kind()).isEqualTo(EntryKind.DIRECTORY);
    assertThat(etc.mode()).isEqualTo(0755);
    assertThat(etc.statMode()).isEqualTo(040755);
    assertThat(etc.object()).isNull();
    assertThat(etc.size()).isZero();
  }

  @Test
  void contiguousAndOldStyleFilesAreFiles() throws IOException {
    byte[] tar = new TarBuilder().raw("contiguous", TarConstants.LF_CONTIG, "c".getBytes(UTF_8))
        .raw("old-style", TarConstants.LF_OLDNORM, "o".getBytes(UTF_8)).raw("old-dir/", TarConstants.LF_OLDNORM, new byte[0])
        .toBytes();

    LayerIngest.Result result = ingest(tar);

    assertThat(entry(result, "contiguous").kind()).isEqualTo(EntryKind.FILE);
    assertThat(entry(result, "contiguous").object()).isEqualTo(Digest.sha256("c".getBytes(UTF_8)));
    assertThat(entry(result, "old-style").kind()).isEqualTo(EntryKind.FILE);
    assertThat(entry(result, "old-dir").kind()).isEqualTo(EntryKind.DIRECTORY);
  }

  @Test
  void namesAreNormalized() throws IOException {
    byte[] tar = new TarBuilder().dir("./a//").dir("a/./b/").file("./a/b/./c", "c").toBytes();

    assertThat(paths(ingest(tar))).containsExactly("a", "a/b", "a/b/c");
  }

  @Test
  void symlinksKeepTheirTargetUnresolved() throws IOException {
    byte[] tar = new TarBuilder().dir("bin").symlink("bin/sh", "/usr/bin/bash")
        .symlink("bin/up", "../../../../outside").symlink("self", "self").toBytes();

    LayerIngest.Result result = ingest(tar);

    LayerEntry sh = entry(result, "bin/sh");
    assertThat(sh.kind()).isEqualTo(EntryKind.SYMLINK);
    assertThat(sh.linkTarget()).isEqualTo("/usr/bin/bash");
    assertThat(sh.statMode() & 0170000).isEqualTo(0120000);
    assertThat(sh.object()).isNull();
    assertThat(entry(result, "bin/up").linkTarget()).isEqualTo("../../../../outside");
    assertThat(entry(result, "self").linkTarget()).isEqualTo("self");
  }

  @Test
  void hardLinksShareTheObjectAndALinkGroup() throws IOException {
    byte[] tar = new TarBuilder().dir("bin").file("bin/busybox", "ELF busybox").hardlink("bin/ls", "bin/busybox")
        .hardlink("./bin/cat", "./bin/busybox").file("bin/other", "ELF other").toBytes();

    LayerIngest.Result result = ingest(tar);

    LayerEntry busybox = entry(result, "bin/busybox");
    LayerEntry ls = entry(result, "bin/ls");
    LayerEntry cat = entry(result, "bin/cat");
    assertThat(busybox.kind()).isEqualTo(EntryKind.FILE);
    assertThat(ls.kind()).isEqualTo(EntryKind.HARDLINK);
    assertThat(ls.linkTarget()).isEqualTo("bin/busybox");
    assertThat(cat.linkTarget()).isEqualTo("bin/busybox");
    assertThat(busybox.linkGroup()).isNotZero();
    assertThat(ls.linkGroup()).isEqualTo(busybox.linkGroup());
    assertThat(cat.linkGroup()).isEqualTo(busybox.linkGroup());
    assertThat(ls.object()).isEqualTo(busybox.object()).isEqualTo(Digest.sha256("ELF busybox".getBytes(UTF_8)));
    assertThat(ls.size()).isEqualTo(busybox.size());
    assertThat(entry(result, "bin/other").linkGroup()).isZero();
    assertThat(objects.list(stray -> { })).hasSize(2);
  }

  @Test
  void hardLinkToAHardLinkJoinsTheSameGroup() throws IOException {
    byte[] tar = new TarBuilder().file("f", "one inode").hardlink("a", "f").hardlink("b", "a")
        .file("g", "another inode").hardlink("h", "g").toBytes();

    LayerIngest.Result result = ingest(tar);

    int group = entry(result, "f").linkGroup();
    assertThat(group).isNotZero();
    assertThat(entry(result, "a").linkGroup()).isEqualTo(group);
    assertThat(entry(result, "b").linkGroup()).isEqualTo(group);
    assertThat(entry(result, "b").object()).isEqualTo(entry(result, "f").object());
    assertThat(entry(result, "g").linkGroup()).isNotZero().isNotEqualTo(group);
    assertThat(entry(result, "h").linkGroup()).isEqualTo(entry(result, "g").linkGroup());
  }

  @Test
  void hardLinkToALowerLayerFileTakesItsContent() throws IOException {
    Digest libc = Digest.sha256("libc".getBytes(UTF_8));
    LayerEntry below = new LayerEntry("lib/libc.so.6", EntryKind.FILE, 0755, 0, 0, "", "", 0, 0, 4, null, 0, 0,
        libc, 0, null);
    LowerFiles lower = path -> path.equals("lib/libc.so.6") ? below : null;
    byte[] tar = new TarBuilder().hardlink("lib/libc.so", "lib/libc.so.6").toBytes();

    LayerIngest.Result result;
    try (ObjectBatch batch = objects.batch()) {
      result = LayerIngest.ingest(new ByteArrayInputStream(tar), batch, lower, IngestLimits.DEFAULT);
    }

    LayerEntry link = entry(result, "lib/libc.so");
    assertThat(link.kind()).isEqualTo(EntryKind.HARDLINK);
    assertThat(link.object()).isEqualTo(libc);
    assertThat(link.size()).isEqualTo(4);
    assertThat(link.linkGroup()).isNotZero();
  }

  @Test
  void devicesAndFifosAreMetadataOnly() throws IOException {
    byte[] tar = new TarBuilder().dir("dev").charDevice("dev/null", 1, 3).blockDevice("dev/sda", 8, 0)
        .charDevice("dev/big", 4095, 1_048_575).fifo("dev/initctl").toBytes();

    LayerIngest.Result result = ingest(tar);

    LayerEntry nul = entry(result, "dev/null");
    assertThat(nul.kind()).isEqualTo(EntryKind.CHAR_DEVICE);
    assertThat(nul.devMajor()).isEqualTo(1);
    assertThat(nul.devMinor()).isEqualTo(3);
    assertThat(nul.mode()).isEqualTo(0666);
    assertThat(nul.statMode()).isEqualTo(020666);
    LayerEntry sda = entry(result, "dev/sda");
    assertThat(sda.kind()).isEqualTo(EntryKind.BLOCK_DEVICE);
    assertThat(sda.devMajor()).isEqualTo(8);
    assertThat(sda.devMinor()).isZero();
    assertThat(sda.statMode() & 0170000).isEqualTo(060000);
    assertThat(entry(result, "dev/big").devMinor()).isEqualTo(1_048_575);
    LayerEntry fifo = entry(result, "dev/initctl");
    assertThat(fifo.kind()).isEqualTo(EntryKind.FIFO);
    assertThat(fifo.devMajor()).isZero();
    assertThat(fifo.statMode() & 0170000).isEqualTo(010000);
    assertThat(result.entries()).allSatisfy(e -> {
      assertThat(e.object()).isNull();
      assertThat(e.size()).isZero();
    });
    assertThat(objects.list(stray -> { })).isEmpty();
  }

  @Test
  void whiteoutsAndOpaqueMarkersNameWhatTheyHide() throws IOException {
    byte[] tar = new TarBuilder().dir("etc").whiteout("etc/motd").whiteout("gone").dir("usr/share")
        .opaque("usr/share").opaque("").toBytes();

    LayerIngest.Result result = ingest(tar);

    LayerEntry motd = entry(result, "etc/.wh.motd");
    assertThat(motd.kind()).isEqualTo(EntryKind.WHITEOUT);
    assertThat(motd.kind().isWhiteout()).isTrue();
    assertThat(motd.target()).isEqualTo("etc/motd");
    assertThat(entry(result, ".wh.gone").target()).isEqualTo("gone");
    LayerEntry opaque = entry(result, "usr/share/.wh..wh..opq");
    assertThat(opaque.kind()).isEqualTo(EntryKind.OPAQUE);
    assertThat(opaque.target()).isEqualTo("usr/share");
    assertThat(entry(result, ".wh..wh..opq").target()).isEmpty();
    assertThat(entry(result, "etc").target()).isEqualTo("etc");
    assertThat(entry(result, "etc").kind().isWhiteout()).isFalse();
    assertThat(objects.list(stray -> { })).isEmpty();
  }

  @Test
  void whiteoutsUnderAFileThatReplacedADirectoryAreAccepted() throws IOException {
    // umoci writes the whiteouts of a directory's old children after the file that replaced it.
    byte[] tar = new TarBuilder().file("etc", "now a file").whiteout("etc/old").opaque("etc").toBytes();

    LayerIngest.Result result = ingest(tar);

    assertThat(entry(result, "etc").kind()).isEqualTo(EntryKind.FILE);
    assertThat(entry(result, "etc/.wh.old").target()).isEqualTo("etc/old");
    assertThat(entry(result, "etc/.wh..wh..opq").target()).isEqualTo("etc");
  }

  @Test
  void whiteoutContentIsSkippedNotStored() throws IOException {
    byte[] tar = new TarBuilder().raw(".wh.x", TarConstants.LF_NORMAL, "junk".getBytes(UTF_8))
        .file("after", "after").toBytes();

    LayerIngest.Result result = ingest(tar);

    assertThat(entry(result, ".wh.x").size()).isZero();
    assertThat(entry(result, ".wh.x").object()).isNull();
    assertThat(objects.list(stray -> { })).containsExactly(Digest.sha256("after".getBytes(UTF_8)));
  }

  @Test
  void longAndUtf8NamesComeThroughPax() throws IOException {
    String longDir = "usr/share/" + "very-long-directory-name-".repeat(6);
    String longFile = longDir + "/" + "f".repeat(120) + ".txt";
    String utf8 = "données/日本語 ファイル 🐳.txt";
    String longTarget = "../" + "t".repeat(150);
    byte[] tar = new TarBuilder().dir(longDir).file(longFile, "long").dir("données").file(utf8, "utf8")
        .symlink("lnk", longTarget).hardlink("données/ßlink", longFile).toBytes();

    LayerIngest.Result result = ingest(tar);

    assertThat(longFile.length()).isGreaterThan(100);
    assertThat(paths(result)).containsExactly(longDir, longFile, "données", utf8, "lnk", "données/ßlink");
    assertThat(entry(result, longFile).object()).isEqualTo(Digest.sha256("long".getBytes(UTF_8)));
    assertThat(entry(result, "lnk").linkTarget()).isEqualTo(longTarget);
    assertThat(entry(result, "données/ßlink").linkTarget()).isEqualTo(longFile);
    assertThat(entry(result, "données/ßlink").object()).isEqualTo(entry(result, longFile).object());
  }

  @Test
  void mtimesKeepNanoseconds() throws IOException {
    byte[] tar = new TarBuilder()
        .mtime(Instant.ofEpochSecond(1_700_000_000L, 123_456_700)).file("commons", "x")
        .paxRecord("mtime", "1700000001.123456789").file("nine-digits", "y")
        .mtime(Instant.ofEpochSecond(-86_400)).file("before-1970", "z")
        .mtime(Instant.ofEpochSecond(1_234_567_890L)).dir("whole-seconds")
        .toBytes();

    LayerIngest.Result result = ingest(tar);

    assertThat(entry(result, "commons").mtimeSeconds()).isEqualTo(1_700_000_000L);
    assertThat(entry(result, "commons").mtimeNanos()).isEqualTo(123_456_700);
    assertThat(entry(result, "nine-digits").mtimeSeconds()).isEqualTo(1_700_000_001L);
    assertThat(entry(result, "nine-digits").mtimeNanos()).isEqualTo(123_456_789);
    assertThat(entry(result, "before-1970").mtimeSeconds()).isEqualTo(-86_400);
    assertThat(entry(result, "before-1970").mtimeNanos()).isZero();
    assertThat(entry(result, "whole-seconds").mtimeSeconds()).isEqualTo(1_234_567_890L);
    assertThat(entry(result, "whole-seconds").mtimeNanos()).isZero();
  }

  @Test
  void binaryXattrComesBackByteExact() throws IOException {
    byte[] tar = new TarBuilder()
        .xattr("security.capability", CAPABILITY).xattr("user.comment", "héllo")
        .mode(0755).file("usr/bin/ping", "ELF ping")
        .file("usr/bin/plain", "no xattrs")
        .toBytes();

    LayerIngest.Result result = ingest(tar);

    LayerEntry ping = entry(result, "usr/bin/ping");
    assertThat(ping.xattrs()).containsOnlyKeys("security.capability", "user.comment");
    assertThat(ping.xattrs().get("security.capability").toArray()).isEqualTo(CAPABILITY);
    assertThat(ping.xattrs().get("user.comment").toArray()).isEqualTo("héllo".getBytes(UTF_8));
    assertThat(entry(result, "usr/bin/plain").xattrs()).isEmpty();
  }

  @Test
  void binaryXattrOnAnEntryWithOtherPaxRecords() throws IOException {
    String longName = "d/" + "n".repeat(140);
    byte[] tar = new TarBuilder()
        .xattr("security.capability", CAPABILITY).owner(3_000_000_000L, 7, "bob", "bob")
        .mtime(Instant.ofEpochSecond(5, 500)).file(longName, "x")
        .xattr("trusted.overlay.opaque", "y").xattr("security.selinux", new byte[] {(byte) 0x80, 0, (byte) 0xff})
        .dir("etc")
        .toBytes();

    LayerIngest.Result result = ingest(tar);

    LayerEntry e = entry(result, longName);
    assertThat(e.xattrs().get("security.capability").toArray()).isEqualTo(CAPABILITY);
    assertThat(e.uid()).isEqualTo(3_000_000_000L);
    assertThat(e.mtimeNanos()).isEqualTo(500);
    assertThat(entry(result, "etc").xattrs()).isEqualTo(ImmutableSortedMap.of(
        "security.selinux", Bytes.copyOf(new byte[] {(byte) 0x80, 0, (byte) 0xff}),
        "trusted.overlay.opaque", Bytes.copyOf("y".getBytes(UTF_8))));
  }

  @Test
  void libarchiveXattrsAreBase64Decoded() throws IOException {
    byte[] tar = new TarBuilder()
        .paxRecord("LIBARCHIVE.xattr.security.capability", Base64.getEncoder().encodeToString(CAPABILITY))
        .paxRecord("LIBARCHIVE.xattr.user.with%20space", Base64.getEncoder().encodeToString("v".getBytes(UTF_8)))
        .file("bsdtar", "x").toBytes();

    LayerEntry e = entry(ingest(tar), "bsdtar");

    assertThat(e.xattrs().get("security.capability").toArray()).isEqualTo(CAPABILITY);
    assertThat(e.xattrs().get("user.with space").toArray()).isEqualTo("v".getBytes(UTF_8));
  }

  @Test
  void libarchiveXattrNamesArePercentEscapedBytes() throws IOException {
    byte[] tar = new TarBuilder()
        .paxRecord("LIBARCHIVE.xattr.user.a%FFb+c%3D", Base64.getEncoder().encodeToString("v".getBytes(UTF_8)))
        .file("bsdtar", "x").toBytes();

    LayerEntry e = entry(ingest(tar), "bsdtar");

    assertThat(e.xattrs()).containsOnlyKeys(Names.decode(new byte[] {'u', 's', 'e', 'r', '.', 'a', (byte) 0xff, 'b',
        '+', 'c', '='}));
  }

  @Test
  void aPaxSizeRecordSizesTheEntryAndLaterNamesKeepTheirBytes() throws IOException {
    // Files past 8 GiB need it: the header's own size field then says 0 (Python, Go) or less.
    byte[] content = "sized by PAX".getBytes(UTF_8);
    byte[] tar = new TarBuilder()
        .pax('x', Map.of("size", Integer.toString(content.length).getBytes(UTF_8)))
        .header("big", '0', 0).bytes(Arrays.copyOf(content, 512))
        .paxRecord("path", new byte[] {'n', (byte) 0xe9, 'w'}).file("new", "x")
        .toBytes();

    LayerIngest.Result result = ingest(tar);

    assertThat(entry(result, "big").object()).isEqualTo(Digest.sha256(content));
    assertThat(result.entries().stream().map(e -> Names.printable(e.path()))).containsExactly("big", "n\\351w");
  }

  @Test
  void globalPaxRecordsApplyToEveryLaterEntryUnlessItsOwnOverride() throws IOException {
    byte[] tar = new TarBuilder()
        .file("before", "x")
        .pax('g', Map.of("SCHILY.xattr.user.g", "global".getBytes(UTF_8), "uname", new byte[] {(byte) 0xff}))
        .file("after", "y")
        .xattr("user.g", "own").file("own", "z")
        .toBytes();

    LayerIngest.Result result = ingest(tar);

    assertThat(entry(result, "before").xattrs()).isEmpty();
    assertThat(entry(result, "after").xattrs().get("user.g").toArray()).isEqualTo("global".getBytes(UTF_8));
    assertThat(entry(result, "after").uname()).isEqualTo(Names.decode(new byte[] {(byte) 0xff}));
    assertThat(entry(result, "own").xattrs().get("user.g").toArray()).isEqualTo("own".getBytes(UTF_8));
  }

  @Test
  void ownersAndBigIdsAreKept() throws IOException {
    byte[] tar = new TarBuilder()
        .owner(1000, 1001, "alice", "staff").file("home/alice/notes", "n")
        .owner(4_000_000_000L, 3_000_000_000L, "nobody-in-a-userns", "group").file("big", "b")
        .file("root-owned", "r")
        .toBytes();

    LayerIngest.Result result = ingest(tar);

    LayerEntry alice = entry(result, "home/alice/notes");
    assertThat(alice.uid()).isEqualTo(1000);
    assertThat(alice.gid()).isEqualTo(1001);
    assertThat(alice.uname()).isEqualTo("alice");
    assertThat(alice.gname()).isEqualTo("staff");
    LayerEntry big = entry(result, "big");
    assertThat(big.uid()).isEqualTo(4_000_000_000L);
    assertThat(big.gid()).isEqualTo(3_000_000_000L);
    assertThat(big.uname()).isEqualTo("nobody-in-a-userns");
    LayerEntry root = entry(result, "root-owned");
    assertThat(root.uid()).isZero();
    assertThat(root.uname()).isEmpty();
  }

  @Test
  void diffIdIsTheSha256OfTheWholeTar() throws IOException {
    byte[] tar = new TarBuilder().dir("etc").file("etc/hosts", "h").toBytes();
    // Tar pads archives to 10 KiB records; the padding is part of the DiffID.
    byte[] padded = java.util.Arrays.copyOf(tar, 10_240);

    LayerIngest.Result plain = ingest(tar);
    LayerIngest.Result withPadding = ingest(padded);

    assertThat(plain.diffId()).isEqualTo(Digest.sha256(tar));
    assertThat(plain.uncompressedSize()).isEqualTo(tar.length);
    assertThat(withPadding.diffId()).isEqualTo(Digest.sha256(padded));
    assertThat(withPadding.uncompressedSize()).isEqualTo(10_240);
    assertThat(withPadding.entries()).isEqualTo(plain.entries());
  }

  @Test
  void emptyLayerHasNoEntries() throws IOException {
    byte[] tar = new TarBuilder().toBytes();

    LayerIngest.Result result = ingest(tar);

    assertThat(result.entries()).isEmpty();
    assertThat(result.diffId()).isEqualTo(Digest.sha256(new byte[1024]));
  }

  @Test
  void largeFilesStreamIntoTheStore() throws IOException {
    byte[] tar = new TarBuilder().zeros("big.img", 3L << 20).file("small", "s").toBytes();

    LayerIngest.Result result = ingest(tar);

    LayerEntry big = entry(result, "big.img");
    assertThat(big.size()).isEqualTo(3L << 20);
    assertThat(big.object()).isEqualTo(Digest.sha256(new byte[3 << 20]));
    assertThat(objects.size(big.object())).isEqualTo(3L << 20);
  }

  @Test
  void plainGzipAndZstdGiveTheSameEntries() throws IOException {
    TarBuilder layer = sampleLayer();
    byte[] tar = layer.toBytes();

    LayerIngest.Result plain = ingest(LayerStreams.decompress(new ByteArrayInputStream(tar), Compression.NONE));
    LayerIngest.Result gzip = ingest(LayerStreams.decompress(new ByteArrayInputStream(layer.gzip()), Compression.GZIP));
    LayerIngest.Result zstd = ingest(LayerStreams.decompress(new ByteArrayInputStream(layer.zstd()), Compression.ZSTD));

    assertThat(plain.entries()).hasSize(14);
    assertThat(gzip.entries()).isEqualTo(plain.entries());
    assertThat(zstd.entries()).isEqualTo(plain.entries());
    assertThat(plain.diffId()).isEqualTo(Digest.sha256(tar));
    assertThat(gzip.diffId()).isEqualTo(plain.diffId());
    assertThat(zstd.diffId()).isEqualTo(plain.diffId());
    assertThat(zstd.uncompressedSize()).isEqualTo(tar.length);
  }

  @Test
  void objectsAreInvisibleUntilTheBatchCommits() throws IOException {
    byte[] tar = new TarBuilder().file("a", "a").toBytes();
    try (ObjectBatch batch = objects.batch()) {
      LayerIngest.Result result =
          LayerIngest.ingest(new ByteArrayInputStream(tar), batch, LowerFiles.NONE, IngestLimits.DEFAULT);

      assertThat(objects.contains(entry(result, "a").object())).isFalse();
      batch.commit();
      assertThat(objects.contains(entry(result, "a").object())).isTrue();
    }
  }

  /** A layer with one of everything, shared with {@link IndexCodecTest}. */
  static TarBuilder sampleLayer() {
    return new TarBuilder()
        .dir("./")
        .owner(0, 0, "root", "root").mode(0755).dir("bin")
        .mode(0755).file("bin/busybox", "ELF busybox")
        .hardlink("bin/ls", "bin/busybox")
        .symlink("bin/sh", "busybox")
        .dir("dev").charDevice("dev/null", 1, 3).blockDevice("dev/loop0", 7, 0).fifo("dev/fifo")
        .xattr("security.capability", CAPABILITY).mtime(Instant.ofEpochSecond(1_700_000_000L, 999_999_900))
        .file("bin/ping", "ELF ping")
        .whiteout("etc/motd")
        .opaque("var/cache")
        .owner(100_000, 100_000, "user", "users").file("données/" + "ñ".repeat(80), "utf8")
        .zeros("var/lib/empty.img", 2 << 20);
  }

  private LayerIngest.Result ingest(byte[] tar) throws IOException {
    return ingest(new ByteArrayInputStream(tar));
  }

  private LayerIngest.Result ingest(InputStream tar) throws IOException {
    try (ObjectBatch batch = objects.batch()) {
      LayerIngest.Result result = LayerIngest.ingest(tar, batch, LowerFiles.NONE, IngestLimits.DEFAULT);
      batch.commit();
      return result;
    }
  }

  static LayerEntry entry(LayerIngest.Result result, String path) {
    return result.entries().stream().filter(e -> e.path().equals(path)).findFirst()
        .orElseThrow(() -> new AssertionError("no entry " + path + " in " + paths(result)));
  }

  static List<String> paths(LayerIngest.Result result) {
    return result.entries().stream().map(LayerEntry::path).toList();
  }
}
