package dev.strata.layer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.image.Compression;
import dev.strata.layer.HeaderBlock.Field;
import dev.strata.layer.TarReadings.Reading;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One tar reading for all: a corpus of crafted layers, each read by Strata, by GNU tar (its
 * extraction, as root, and its listing) and by Python's tarfile. Strata either refuses a layer,
 * with a message that names where (the entry, or the header's byte offset when no entry name is
 * known) and what field, or gives exactly the entries GNU tar makes; where GNU tar and tarfile
 * disagree it refuses (no case yet needs GNU tar's reading followed against tarfile's).
 * Each case also pins which of the two Strata does, so that neither a new refusal of good
 * layers nor a new acceptance of bad ones goes unseen.
 */
class TarDifferentialTest {
  private static final byte[] END = new byte[1024];
  /** A tar member that is itself a tar putting etc/passwd in place, without its end marker. */
  private static final byte[] SMUGGLED =
      new TarBuilder().file("etc/passwd", "root::0:0::/:/bin/sh\n").withoutEndMarker().toBytes();

  /** A zstd skippable frame: magic 0x184D2A50, a length of 4, four bytes a decoder passes over. */
  private static final byte[] SKIPPABLE_FRAME = {0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 's', 'k', 'i', 'p'};

  @TempDir
  Path work;

  /** What Strata must do with a case's layer: accept it, or refuse it naming where and what field. */
  private record Expect(boolean accepted, String where, String field) {}

  static Stream<Arguments> corpus() {
    return Stream.of(
        // What every writer makes: the readings must agree before anything odd is worth a look.
        same("every kind of entry", new TarBuilder().dir("d").owner(1000, 1001, "user", "group").mode(04755)
            .file("d/f", "content\n").symlink("s", "d/f").hardlink("h", "d/f").hardlink("h2", "h")
            .charDevice("c", 1, 3).blockDevice("b", 8, 1).fifo("p").toBytes()),
        same("PAX long names, big owners and a sub-second mtime", new TarBuilder()
            .file("long/" + "n".repeat(200), "x").owner(3_000_000_000L, 5, "", "")
            .mtime(Instant.ofEpochSecond(1_600_000_000L, 500_000_000)).file("owned", "y")
            .symlink("sl", "t/".repeat(80)).toBytes()),
        same("GNU long name and long link target ('L', 'K')", tar(
            longName('L', "dir/" + "l".repeat(150)), HeaderBlock.ustar("dir/lll", '0', 3).with("abc"),
            longName('K', "t".repeat(120)), HeaderBlock.ustar("sym", '2', 0).set(Field.LINKNAME, "ttt").bytes())),
        same("a ustar prefix field", tar(HeaderBlock.ustar("f", '0', 2).set(Field.PREFIX, "pre/fix").with("pf"))),
        same("old-style and contiguous files, an old-style directory", tar(
            HeaderBlock.ustar("old", '\0', 3).with("old"), HeaderBlock.ustar("contig", '7', 3).with("con"),
            HeaderBlock.ustar("olddir/", '\0', 0).bytes())),
        same("a V7 header without magic", tar(HeaderBlock.ustar("v7", '0', 2).set(Field.MAGIC, "").set(Field.VERSION, "")
            .with("v7"))),
        same("GNU magic", tar(HeaderBlock.ustar("gnu", '0', 3).set(Field.MAGIC, "ustar ").set(Field.VERSION, " ")
            .with("gnu"))),
        same("numbers with leading spaces and a space terminator", tar(HeaderBlock.ustar("sp", '0', 2)
            .set(Field.MODE, "   640 ").set(Field.UID, "    12 ").set(Field.SIZE, "          2 ").with("sp"))),
        same("numbers filling their fields without a terminator", tar(HeaderBlock.ustar("full", '0', 4)
            .set(Field.MODE, "00000600").set(Field.UID, "00000017").set(Field.SIZE, "000000000004")
            .set(Field.MTIME, "14524770400").with("full"))),
        same("numbers in base-256", tar(HeaderBlock.ustar("b256", '0', 0).base256(Field.UID, 70_000)
            .base256(Field.GID, 3_000_000_000L).base256(Field.SIZE, 5).base256(Field.MTIME, 1_700_000_123L)
            .with("b-256"))),
        same("a checksum of signed bytes, as old Sun tar wrote", tar(HeaderBlock.ustar("signed\u00e9", '0', 1)
            .signedChecksum().with("s"))),
        same("PAX records override the header", tar(
            pax('x', "path", "pax/path", "uid", "2000", "gid", "3000", "uname", "pu", "gname", "pg",
                "mtime", "1234567890.25", "size", "5"),
            HeaderBlock.ustar("header-name", '0', 0).with("pax-5"),
            pax('x', "linkpath", "pax-target"), HeaderBlock.ustar("sym", '2', 0).set(Field.LINKNAME, "header").bytes())),
        same("a global PAX header applies to every later entry", tar(pax('g', "uid", "4000", "uname", "global"),
            HeaderBlock.ustar("g1", '0', 1).with("1"), pax('x', "uid", "4001"), HeaderBlock.ustar("g2", '0', 1).with("2"))),
        same("a Solaris 'X' extended header is a PAX header", tar(pax('X', "path", "solaris"),
            HeaderBlock.ustar("x", '0', 1).with("X"))),
        same("an empty PAX header", tar(pax('x'), HeaderBlock.ustar("e", '0', 1).with("e"))),
        same("data after the end-of-archive blocks", concat(new TarBuilder().file("a", "a").toBytes(),
            "trailing bytes nobody reads".getBytes(UTF_8))),
        same("one zero block only", concat(new TarBuilder().file("a", "a").withoutEndMarker().toBytes(),
            new byte[512])),
        same("no end-of-archive blocks", new TarBuilder().file("a", "a").withoutEndMarker().toBytes()),

        // An entry's type decides what it is, and whether it has data.
        refused("a directory with a size and a tar as data", "entry 'd/'", "size", tar(
            HeaderBlock.ustar("d/", '5', SMUGGLED.length).with(SMUGGLED), HeaderBlock.ustar("ok", '0', 1).with("k"))),
        refused("a symlink with a size and a tar as data", "entry 's'", "size", tar(
            HeaderBlock.ustar("s", '2', SMUGGLED.length).set(Field.LINKNAME, "t").with(SMUGGLED))),
        refused("a hard link with a size and a tar as data", "entry 'h'", "size", tar(
            HeaderBlock.ustar("f", '0', 1).with("f"),
            HeaderBlock.ustar("h", '1', SMUGGLED.length).set(Field.LINKNAME, "f").with(SMUGGLED))),
        refused("a character device with a size and data", "entry 'c'", "size", tar(
            HeaderBlock.ustar("c", '3', SMUGGLED.length).octal(Field.DEVMAJOR, 1).octal(Field.DEVMINOR, 3)
                .with(SMUGGLED))),
        refused("a block device with a size and data", "entry 'b'", "size", tar(
            HeaderBlock.ustar("b", '4', SMUGGLED.length).octal(Field.DEVMAJOR, 8).with(SMUGGLED))),
        refused("a fifo with a size and data", "entry 'p'", "size", tar(
            HeaderBlock.ustar("p", '6', SMUGGLED.length).with(SMUGGLED))),
        refused("a directory with a size and no data", "entry 'd/'", "size", tar(
            HeaderBlock.ustar("d/", '5', 512).bytes(), HeaderBlock.ustar("ok", '0', 1).with("k"))),
        refused("a file whose name ends in '/' holding bytes", "entry 'etc/'", "type '0'", tar(
            HeaderBlock.ustar("etc/", '0', SMUGGLED.length).with(SMUGGLED))),
        refused("a symlink whose name ends in '/'", "entry 's/'", "type '2'", tar(
            HeaderBlock.ustar("s/", '2', 0).set(Field.LINKNAME, "t").bytes())),

        // Types other than the ten a layer holds.
        refused("an unknown type", "entry 'z'", "type 'Z'", tar(HeaderBlock.ustar("z", 'Z', 1).with("z"))),
        refused("a GNU volume label", "entry 'label'", "type 'V'", tar(HeaderBlock.ustar("label", 'V', 0).bytes(),
            HeaderBlock.ustar("a", '0', 1).with("a"))),
        refused("a GNU multi-volume continuation", "entry 'part'", "type 'M'", tar(
            HeaderBlock.ustar("part", 'M', 4).with("tail"))),
        refused("a GNU dump directory", "entry 'dd/'", "type 'D'", tar(HeaderBlock.ustar("dd/", 'D', 4).with("Yx\0\0"))),
        refused("an old GNU long-name file", "entry 'n'", "type 'N'", tar(HeaderBlock.ustar("n", 'N', 4).with("abcd"))),
        refused("a GNU long name followed by nothing", "byte 0", "'L'", tar(longName('L', "lonely"))),
        refused("a GNU long name at the end of the stream", "byte 0", "'L'", longName('L', "lonely")),
        refused("a PAX header with no entry after it", "byte 0", "no entry after it", tar(pax('x', "path", "p"))),
        refused("two GNU long names for one entry", "byte 1024", "two GNU long names", tar(longName('L', "first"),
            longName('L', "second"), HeaderBlock.ustar("x", '0', 1).with("x"))),
        refused("a GNU long name and a PAX path for one entry", "entry 'pax'", "path", tar(longName('L', "gnu"),
            pax('x', "path", "pax"), HeaderBlock.ustar("x", '0', 1).with("x"))),
        refused("a PAX path and a GNU long name for one entry", "entry 'pax'", "path", tar(pax('x', "path", "pax"),
            longName('L', "gnu"), HeaderBlock.ustar("x", '0', 1).with("x"))),

        // PAX records that are not records, or contradict what they describe.
        refused("a PAX record whose length is too short", "byte 0", "PAX record", tar(
            paxBody('x', "10 path=abcdef\n"), HeaderBlock.ustar("p", '0', 1).with("p"))),
        refused("a PAX record whose length is too long", "byte 0", "PAX record", tar(
            paxBody('x', "30 path=abc\n"), HeaderBlock.ustar("p", '0', 1).with("p"))),
        refused("a PAX record with a length that is not a number", "byte 0", "PAX record", tar(
            paxBody('x', "x2 path=abc\n"), HeaderBlock.ustar("p", '0', 1).with("p"))),
        refused("a PAX record without '='", "byte 0", "PAX record", tar(
            paxBody('x', "11 pathabc\n"), HeaderBlock.ustar("p", '0', 1).with("p"))),
        refused("a PAX size that is not a number", "entry 'p'", "size", tar(pax('x', "size", "12x"),
            HeaderBlock.ustar("p", '0', 1).with("p"))),
        refused("a negative PAX size", "entry 'p'", "size", tar(pax('x', "size", "-1"),
            HeaderBlock.ustar("p", '0', 1).with("p"))),
        refused("a PAX size beyond the data", "entry 'p'", "truncated", pax('x', "size", "4096"),
            HeaderBlock.ustar("p", '0', 1).with("p"), END),
        refused("a PAX uid that is not a number", "entry 'p'", "uid", tar(pax('x', "uid", "abc"),
            HeaderBlock.ustar("p", '0', 1).with("p"))),
        refused("a PAX gid that is negative", "entry 'p'", "gid", tar(pax('x', "gid", "-5"),
            HeaderBlock.ustar("p", '0', 1).with("p"))),
        refused("a PAX mtime that is not a number", "entry 'p'", "mtime", tar(pax('x', "mtime", "yesterday"),
            HeaderBlock.ustar("p", '0', 1).with("p"))),
        same("duplicate PAX keys: the last one counts", tar(pax('x', "path", "first", "path", "second"),
            HeaderBlock.ustar("p", '0', 1).with("p"))),
        refused("an empty PAX path", "entry 'p'", "path", tar(pax('x', "path", ""),
            HeaderBlock.ustar("p", '0', 1).with("p"))),
        refused("an empty PAX size", "entry 'p'", "size", tar(pax('x', "size", ""),
            HeaderBlock.ustar("p", '0', 1).with("p"))),
        same("an empty PAX uname", tar(pax('x', "uname", ""), HeaderBlock.ustar("p", '0', 1)
            .set(Field.UNAME, "header").with("p"))),
        refused("a PAX size on a directory", "entry 'd/'", "size", tar(pax('x', "size", "1024"),
            HeaderBlock.ustar("d/", '5', 0).with(SMUGGLED))),
        refused("a PAX header of an odd size", "byte 0", "PAX record", tar(paxBody('x', "abcde"),
            HeaderBlock.ustar("p", '0', 1).with("p"))),
        refused("a global PAX header that is not records", "byte 0", "PAX record", tar(paxBody('g', "7 a=b\nxx"),
            HeaderBlock.ustar("p", '0', 1).with("p"))),

        same("a sparse file in PAX format 0.1", tar(pax('x', "GNU.sparse.size", "1541", "GNU.sparse.numblocks", "2",
            "GNU.sparse.map", "0,512,1536,5", "GNU.sparse.name", "sp"),
            HeaderBlock.ustar("GNUSparseFile.0/sp", '0', 517).with("a".repeat(512) + "bbbbb"))),
        refused("a sparse piece that is not whole blocks", "entry 'sp'", "sparse map", tar(pax('x', "GNU.sparse.size",
            "20", "GNU.sparse.numblocks", "2", "GNU.sparse.map", "0,5,15,5", "GNU.sparse.name", "sp"),
            HeaderBlock.ustar("GNUSparseFile.0/sp", '0', 10).with("aaaaabbbbb"))),
        refused("a sparse map that goes backwards", "entry 'sp'", "sparse map", tar(pax('x', "GNU.sparse.size",
            "1536", "GNU.sparse.numblocks", "2", "GNU.sparse.map", "1024,512,0,512", "GNU.sparse.name", "sp"),
            HeaderBlock.ustar("GNUSparseFile.0/sp", '0', 1024).with("a".repeat(512) + "b".repeat(512)))),
        refused("a sparse map that is not numbers", "entry 'sp'", "GNU.sparse.map", tar(pax('x', "GNU.sparse.size",
            "20", "GNU.sparse.numblocks", "1", "GNU.sparse.map", "0,x", "GNU.sparse.name", "sp"),
            HeaderBlock.ustar("GNUSparseFile.0/sp", '0', 5).with("aaaaa"))),

        // Numbers: octal as GNU tar reads it, base-256, and what neither is.
        refused("a negative size in base-256", "entry 'neg'", "size", tar(HeaderBlock.ustar("neg", '0', 0)
            .base256(Field.SIZE, -512).bytes())),
        refused("a size past 2^63 in base-256", "entry 'huge'", "size", tar(HeaderBlock.ustar("huge", '0', 0)
            .set(Field.SIZE, new byte[] {(byte) 0x80, 0, 0, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 1}).bytes())),
        refused("an octal mode with the digit 8", "entry 'm'", "mode", tar(HeaderBlock.ustar("m", '0', 1)
            .set(Field.MODE, "0000648").with("m"))),
        same("a uid of spaces before its NUL", tar(HeaderBlock.ustar("u", '0', 1).set(Field.UID, "       ").with("u"))),
        refused("a uid of spaces only, no NUL", "entry 'u'", "uid", tar(HeaderBlock.ustar("u", '0', 1)
            .set(Field.UID, "        ").with("u"))),
        refused("an octal mode with bytes after its NUL", "entry 'm'", "mode", tar(HeaderBlock.ustar("m", '0', 1)
            .set(Field.MODE, "644\0abc").with("m"))),
        refused("a size with a space inside", "entry 's'", "size", tar(HeaderBlock.ustar("s", '0', 1)
            .set(Field.SIZE, "0000 000001").with("s"))),
        refused("an mtime with letters", "entry 't'", "mtime", tar(HeaderBlock.ustar("t", '0', 1)
            .set(Field.MTIME, "1234abcd").with("t"))),
        same("a negative PAX mtime with a fraction", tar(pax('x', "mtime", "-1.5"),
            HeaderBlock.ustar("neg", '0', 1).with("n"))),
        same("an mtime of NULs only", tar(HeaderBlock.ustar("t0", '0', 1).set(Field.MTIME, "").with("t"))),
        same("a negative mtime in base-256", tar(HeaderBlock.ustar("old", '0', 1).base256(Field.MTIME, -86_400)
            .with("o"))),
        refused("a device major that is not a number", "entry 'c'", "devmajor", tar(HeaderBlock.ustar("c", '3', 0)
            .set(Field.DEVMAJOR, "zz").bytes())),
        refused("a uid past 2^32 in base-256", "entry 'u'", "uid", tar(HeaderBlock.ustar("u", '0', 1)
            .base256(Field.UID, 1L << 40).with("u"))),

        // Checksums.
        refused("a bad checksum on the first header", "byte 0", "checksum", tar(HeaderBlock.ustar("a", '0', 1)
            .checksum("0000001").with("a"))),
        refused("a bad checksum on a later header", "byte 1024", "checksum", tar(HeaderBlock.ustar("a", '0', 1)
            .with("a"), HeaderBlock.ustar("b", '0', 1).checksum("0000001").with("b"))),
        refused("a checksum of spaces", "byte 0", "checksum", tar(HeaderBlock.ustar("a", '0', 1)
            .checksum("        ").with("a"))),

        // Where the archive ends.
        refused("truncated inside a file's data", "byte", "truncated",
            Arrays.copyOf(new TarBuilder().file("a", "a".repeat(2000)).toBytes(), 1024)),
        refused("truncated inside a header", "byte", "truncated",
            Arrays.copyOf(new TarBuilder().file("a", "a").file("b", "b").toBytes(), 1024 + 100)),
        refused("entries after a single zero block", "byte 1536", "end-of-archive", concat(
            new TarBuilder().file("a", "a").withoutEndMarker().toBytes(), new byte[512],
            new TarBuilder().file("hidden", "h").toBytes())),
        refused("a block that is not a header after the last entry", "byte 1024", "checksum", concat(
            new TarBuilder().file("a", "a").withoutEndMarker().toBytes(), filled(512, 'g'), END)),
        refused("a partial block after the last entry", "byte 1024", "truncated", concat(
            new TarBuilder().file("a", "a").withoutEndMarker().toBytes(), new byte[100])),

        same("a GNU long link name on a file, which has no link", tar(longName('K', "nowhere"),
            HeaderBlock.ustar("f", '0', 1).with("f"))),
        refused("a GNU long name with bytes after its NUL", "byte 0", "after its NUL", tar(
            HeaderBlock.ustar("././@LongLink", 'L', 8).with("a\0hidden"), HeaderBlock.ustar("x", '0', 1).with("x"))),
        refused("a PAX path ending in '/' on a file without data", "entry 'd/'", "ends in '/'", tar(
            pax('x', "path", "d/"), HeaderBlock.ustar("x", '0', 0).bytes())),
        refused("a prefix field in a GNU header", "entry 'f'", "prefix", tar(HeaderBlock.ustar("f", '0', 1)
            .set(Field.MAGIC, "ustar ").set(Field.VERSION, " ").set(Field.PREFIX, "pre").with("f"))),
        refused("a base-256 marker other than 0x80 and 0xff", "entry 'f'", "size", tar(HeaderBlock.ustar("f", '0', 0)
            .set(Field.SIZE, new byte[] {(byte) 0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}).with("f"))),
        refused("garbage in a PAX header's own mode field", "byte 0", "mode", tar(concat(
            HeaderBlock.ustar("PaxHeaders/x", 'x', 12).set(Field.MODE, "rw-r--r").with("12 uid=123\n")),
            HeaderBlock.ustar("f", '0', 1).with("f"))),

        // Compressed streams: what gzip -d and zstd -d accept, GNU tar reads through them.
        same("gzip", Compression.GZIP, gzip(new TarBuilder().file("a", "a").toBytes())),
        refused("garbage after the end of a gzip stream", "after the gzip stream", "gzip", Compression.GZIP,
            concat(gzip(new TarBuilder().file("a", "a").toBytes()), "garbage".getBytes(UTF_8))),
        same("zeros after the end of a gzip stream", Compression.GZIP,
            concat(gzip(new TarBuilder().file("a", "a").toBytes()), new byte[40])),
        same("a tar split across two gzip members", Compression.GZIP, splitGzip(
            new TarBuilder().file("a", "a".repeat(700)).file("b", "b").toBytes(), 700)),
        refused("a truncated gzip stream", "gzip", "truncated", Compression.GZIP,
            cut(gzip(new TarBuilder().file("a", "a".repeat(3000)).toBytes()), 10)),
        same("a gzip member with a file name and extra field in its header", Compression.GZIP,
            gzipWithName(new TarBuilder().file("a", "a").toBytes())),
        refused("zeros, then garbage, after a gzip stream", "after the gzip stream", "gzip", Compression.GZIP,
            concat(gzip(new TarBuilder().file("a", "a").toBytes()), new byte[10], "x".getBytes(UTF_8))),
        refused("zeros after the end of a zstd stream", "zstd", "after its last frame", Compression.ZSTD,
            concat(new TarBuilder().file("a", "a").zstd(), new byte[16])),
        same("a skippable zstd frame after the stream", Compression.ZSTD,
            concat(new TarBuilder().file("a", "a").zstd(), SKIPPABLE_FRAME)),
        same("zstd", Compression.ZSTD, new TarBuilder().file("a", "a").zstd()),
        refused("garbage after the end of a zstd stream", "zstd", "after its last frame", Compression.ZSTD,
            concat(new TarBuilder().file("a", "a").zstd(), "garbage".getBytes(UTF_8))),
        same("a tar split across two zstd frames", Compression.ZSTD, concat(
            zstd(Arrays.copyOf(new TarBuilder().file("a", "a").toBytes(), 700)),
            zstd(Arrays.copyOfRange(new TarBuilder().file("a", "a").toBytes(), 700, 2048)))),
        refused("a truncated zstd stream", "zstd", "truncated", Compression.ZSTD,
            cut(new TarBuilder().file("a", "a".repeat(3000)).zstd(), 3)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpus")
  void strataRefusesOrReadsWhatGnuTarReads(byte[] blob, Compression compression, Expect expect) throws Exception {
    Path file = work.resolve("layer");
    Files.write(file, blob);
    Reading strata = TarReadings.strata(blob, compression);
    Reading gnu = TarReadings.gnuTar(file, work);
    Reading tarfile = compression == Compression.ZSTD ? null : TarReadings.tarfile(file, work);
    String readings = "\n--- Strata:\n" + strata + "\n--- GNU tar:\n" + gnu + "\n--- tarfile:\n" + tarfile;

    if (strata.ok()) {
      assertThat(gnu.ok()).as("Strata takes what GNU tar refuses:%s", readings).isTrue();
      assertThat(strata.entries()).as("Strata reads otherwise than GNU tar:%s", readings).isEqualTo(gnu.entries());
      if (tarfile != null) {
        assertThat(tarfile.entries()).as("GNU tar and tarfile disagree, and Strata does not refuse:%s", readings)
            .isEqualTo(gnu.entries());
      }
    } else {
      assertThat(strata.error()).as("the refusal names where and what:%s", readings)
          .doesNotStartWith(TarReadings.NOT_A_REFUSAL).contains(expect.where()).contains(expect.field());
    }
    assertThat(strata.ok()).as("accepted:%s", readings).isEqualTo(expect.accepted());
  }

  private static Arguments same(String name, byte[] tar) {
    return same(name, Compression.NONE, tar);
  }

  private static Arguments same(String name, Compression compression, byte[] blob) {
    return Arguments.of(Named.of(name, blob), compression, new Expect(true, null, null));
  }

  private static Arguments refused(String name, String where, String field, byte[]... parts) {
    return refused(name, where, field, Compression.NONE, concat(parts));
  }

  private static Arguments refused(String name, String where, String field, Compression compression, byte[] blob) {
    return Arguments.of(Named.of(name, blob), compression, new Expect(false, where, field));
  }

  /** Members followed by the two zero blocks that end an archive. */
  private static byte[] tar(byte[]... members) {
    return concat(concat(members), END);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** A GNU long-name ('L') or long-link ('K') header holding {@code name} and its NUL. */
  private static byte[] longName(char type, String name) {
    byte[] body = (name + "\0").getBytes(UTF_8);
    return HeaderBlock.ustar("././@LongLink", type, body.length).set(Field.MAGIC, "ustar ").set(Field.VERSION, " ")
        .with(body);
  }

  /** A PAX header ('x', 'g' or 'X') of well-formed records, key and value in turn. */
  private static byte[] pax(char type, String... keysAndValues) {
    Map<String, byte[]> records = new LinkedHashMap<>();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      records.clear();
      records.put(keysAndValues[i], keysAndValues[i + 1].getBytes(UTF_8));
      try {
        body.writeBytes(TarBuilder.encodeRecords(records));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return paxBody(type, body.toString(UTF_8));
  }

  /** A PAX header holding {@code body} exactly, records or not. */
  private static byte[] paxBody(char type, String body) {
    byte[] bytes = body.getBytes(UTF_8);
    return HeaderBlock.ustar("PaxHeaders/next", type, bytes.length).with(bytes);
  }

  private static byte[] filled(int length, char c) {
    byte[] b = new byte[length];
    Arrays.fill(b, (byte) c);
    return b;
  }

  private static byte[] cut(byte[] blob, int bytes) {
    return Arrays.copyOf(blob, blob.length - bytes);
  }

  private static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** A gzip member whose header carries a file name and an extra field, as gzip(1) and pigz write. */
  private static byte[] gzipWithName(byte[] data) {
    java.util.zip.Deflater deflater = new java.util.zip.Deflater(6, true);
    deflater.setInput(data);
    deflater.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 8 | 4, 0, 0, 0, 0, 0, 3, 4, 0, 'A', 'B', 2, 0});
    out.writeBytes("layer.tar\0".getBytes(UTF_8));
    byte[] buffer = new byte[4096];
    while (!deflater.finished()) {
      out.write(buffer, 0, deflater.deflate(buffer));
    }
    deflater.end();
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(data);
    for (long v : new long[] {crc.getValue(), data.length}) {
      out.writeBytes(new byte[] {(byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)});
    }
    return out.toByteArray();
  }

  private static byte[] splitGzip(byte[] data, int at) {
    return concat(gzip(Arrays.copyOf(data, at)), gzip(Arrays.copyOfRange(data, at, data.length)));
  }

  private static byte[] zstd(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (com.github.luben.zstd.ZstdOutputStream z = new com.github.luben.zstd.ZstdOutputStream(out)) {
      z.write(data);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
