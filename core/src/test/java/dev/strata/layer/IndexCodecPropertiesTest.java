package dev.strata.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedMap;
import dev.strata.digest.Digest;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** Properties of the version-1 layer index format over arbitrary indexes. */
class IndexCodecPropertiesTest {

  @Property(tries = 300)
  void encodeThenDecodeGivesTheSameIndex(@ForAll("indexes") IndexCodec.Decoded index) throws IOException {
    byte[] data = encode(index);

    assertThat(IndexCodec.checksumValid(data)).isTrue();
    IndexCodec.Decoded decoded = IndexCodec.decode(data);
    assertThat(decoded).isEqualTo(index);
    assertThat(decoded.entries()).containsExactlyElementsOf(index.entries());
    assertThat(encode(decoded)).isEqualTo(data);
  }

  @Property(tries = 200)
  void truncatedDataFailsWithAnIOException(@ForAll("indexes") IndexCodec.Decoded index,
      @ForAll @IntRange(min = 1, max = 1 << 16) int cut) {
    byte[] data = encode(index);
    byte[] truncated = Arrays.copyOf(data, Math.max(0, data.length - cut));

    assertThat(IndexCodec.checksumValid(truncated)).isFalse();
    assertThat(catchThrowable(() -> IndexCodec.decode(truncated))).isInstanceOf(IOException.class);
  }

  @Property(tries = 300)
  void aFlippedBitIsDetected(@ForAll("indexes") IndexCodec.Decoded index, @ForAll @IntRange(min = 0) int position,
      @ForAll @IntRange(min = 0, max = 7) int bit) {
    byte[] data = encode(index);
    data[position % data.length] ^= (byte) (1 << bit);

    assertThat(IndexCodec.checksumValid(data)).isFalse();
    assertThat(catchThrowable(() -> IndexCodec.decode(data))).isInstanceOf(IOException.class);
  }

  /**
   * Damage the checksum cannot see (written with a fresh checksum, as a bug or a hostile store
   * could) still fails as an IOException, never as another exception or an OutOfMemoryError.
   */
  @Property(tries = 600)
  void damageBehindAValidChecksumNeverThrowsAnythingButIOException(@ForAll("indexes") IndexCodec.Decoded index,
      @ForAll List<@IntRange(min = 0) Integer> positions, @ForAll("damage") byte[] damage) {
    byte[] body = bodyOf(encode(index));
    for (int p : positions) {
      // Leave the magic alone, or almost everything fails on it.
      int at = 8 + p % (body.length - 8);
      System.arraycopy(damage, 0, body, at, Math.min(damage.length, body.length - at));
    }

    Throwable thrown = catchThrowable(() -> IndexCodec.decode(withChecksum(body)));

    if (thrown != null) {
      assertThat(thrown).isInstanceOf(IOException.class);
    }
  }

  @Property(tries = 100)
  void trailingBytesBehindAValidChecksumAreRefused(@ForAll("indexes") IndexCodec.Decoded index,
      @ForAll @IntRange(min = 1, max = 40) int extra) {
    byte[] body = bodyOf(encode(index));
    byte[] longer = Arrays.copyOf(body, body.length + extra);

    assertThat(catchThrowable(() -> IndexCodec.decode(withChecksum(longer))))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("trailing bytes");
  }

  private static byte[] encode(IndexCodec.Decoded index) {
    return IndexCodec.encode(index.diffId(), index.tarSize(), index.entries());
  }

  static byte[] bodyOf(byte[] data) {
    return Arrays.copyOf(data, data.length - 32);
  }

  static byte[] withChecksum(byte[] body) {
    MessageDigest sha256 = Digest.newMessageDigest(Digest.SHA256);
    byte[] all = Arrays.copyOf(body, body.length + 32);
    System.arraycopy(sha256.digest(body), 0, all, body.length, 32);
    return all;
  }

  /** A byte, or a varint of a count that no allocation should be sized by. */
  @Provide
  Arbitrary<byte[]> damage() {
    return Arbitraries.oneOf(
        Arbitraries.bytes().map(b -> new byte[] {b}),
        Arbitraries.of(
            new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07},
            new byte[] {(byte) 0xf0, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07},
            new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08},
            new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x3f},
            new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01}));
  }

  @Provide
  Arbitrary<IndexCodec.Decoded> indexes() {
    Arbitrary<Digest> diffIds = Arbitraries.oneOf(
        raw(32).map(b -> Digest.fromRaw(Digest.SHA256, b)),
        raw(64).map(b -> Digest.fromRaw(Digest.SHA512, b)));
    return Combinators.combine(diffIds, Arbitraries.longs().greaterOrEqual(0), entries().list().ofMaxSize(30))
        .as((diffId, size, entries) -> new IndexCodec.Decoded(diffId, size, ImmutableList.copyOf(entries)));
  }

  private static Arbitrary<LayerEntry> entries() {
    Arbitrary<String> paths = Combinators.combine(
        Arbitraries.of("", "usr/", "usr/lib/", "usr/share/locale/fr/", "données/", "日本/"),
        names().list().ofMinSize(1).ofMaxSize(3))
        .as((prefix, names) -> prefix + String.join("/", names));
    Arbitrary<String> owners = Arbitraries.oneOf(Arbitraries.of("", "root", "nobody", "www-data"), names());
    Arbitrary<Long> ids = Arbitraries.oneOf(Arbitraries.longs().between(0, 70_000),
        Arbitraries.longs(), Arbitraries.of(0L, 4_294_967_295L, Long.MAX_VALUE, Long.MIN_VALUE, -1L));
    Arbitrary<Long> mtimes = Arbitraries.oneOf(Arbitraries.longs().between(-10_000_000_000L, 10_000_000_000L),
        Arbitraries.longs(), Arbitraries.of(0L, -1L, Long.MIN_VALUE, Long.MAX_VALUE));
    Arbitrary<ImmutableSortedMap<String, Bytes>> xattrs = Arbitraries.maps(
            Arbitraries.oneOf(Arbitraries.of("security.capability", "security.selinux", "user.mime_type",
                "trusted.overlay.opaque"), names().map(n -> "user." + n)),
            raw(0, 80).map(Bytes::copyOf))
        .ofMaxSize(4).map(ImmutableSortedMap::copyOf);
    Arbitrary<Digest> objects = raw(32).map(b -> Digest.fromRaw(Digest.SHA256, b)).injectNull(0.1);

    Arbitrary<Attributes> attributes = Combinators.combine(
        Arbitraries.integers().between(0, 07777), ids, ids, owners, owners, mtimes,
        Arbitraries.integers().between(0, 999_999_999), xattrs)
        .as(Attributes::new);
    Arbitrary<Content> contents = Combinators.combine(Arbitraries.longs().greaterOrEqual(0), objects,
        Arbitraries.integers().between(0, 5)).as(Content::new);
    return Combinators.combine(paths, Arbitraries.of(EntryKind.class), attributes, contents, paths,
            Arbitraries.integers(), Arbitraries.integers())
        .as((path, kind, a, c, link, major, minor) -> {
          // Only what an ingest can produce: content for files and hard links, targets for links,
          // numbers for devices (the format stores nothing else for other kinds).
          boolean content = kind == EntryKind.FILE || kind == EntryKind.HARDLINK;
          boolean device = kind == EntryKind.CHAR_DEVICE || kind == EntryKind.BLOCK_DEVICE;
          String target = kind == EntryKind.HARDLINK ? link
              : kind == EntryKind.SYMLINK ? "../" + link : null;
          return new LayerEntry(path, kind, a.mode, a.uid, a.gid, a.uname, a.gname, a.mtimeSeconds,
              a.mtimeNanos, content ? c.size : 0, target, device ? major : 0, device ? minor : 0,
              content ? c.object : null, content ? c.group : 0, a.xattrs);
        });
  }

  private record Content(long size, Digest object, int group) {}

  private record Attributes(int mode, long uid, long gid, String uname, String gname, long mtimeSeconds,
      int mtimeNanos, ImmutableSortedMap<String, Bytes> xattrs) {}

  private static Arbitrary<String> names() {
    return Arbitraries.strings().withCharRange('a', 'z').withCharRange('0', '9').withChars("._- =\n\u00e9\u00df")
        .withCharRange('\u4e00', '\u4e20').ofMinLength(1).ofMaxLength(20)
        .edgeCases(c -> c.add(".wh..wh..opq"));
  }

  private static Arbitrary<byte[]> raw(int length) {
    return raw(length, length);
  }

  private static Arbitrary<byte[]> raw(int min, int max) {
    return Arbitraries.bytes().array(byte[].class).ofMinSize(min).ofMaxSize(max);
  }
}
