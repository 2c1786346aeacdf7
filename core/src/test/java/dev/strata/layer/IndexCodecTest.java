package dev.strata.layer;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableList;
import dev.strata.blob.ContentStore;
import dev.strata.blob.ObjectBatch;
import dev.strata.digest.Digest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IndexCodecTest {
  private static final Digest DIFF_ID = Digest.sha256("layer".getBytes(UTF_8));

  @TempDir
  Path dir;

  @Test
  void aVersionOneIndexUpgradesToTheIndexAnIngestWrites() throws IOException {
    byte[] tar = LayerIngestTest.sampleLayer().toBytes();
    ContentStore objects = ContentStore.fannedOut(dir.resolve("objects"), dir.resolve("tmp"));
    LayerIngest.Result result;
    try (ObjectBatch batch = objects.batch()) {
      result = LayerIngest.ingest(new ByteArrayInputStream(tar), batch, LowerFiles.NONE, IngestLimits.DEFAULT);
    }
    LayerIndex index = result.index();
    byte[] v1 = IndexCodec.encode(index.diffId(), index.tarSize(), List.copyOf(index.entries()));
    assertThat(IndexCodec.decode(v1).entries()).isEqualTo(result.entries());

    LayerIndex decoded = LayerIndex.open(IndexCodec.upgrade(v1, dir));

    assertThat(decoded).isEqualTo(index);
    assertThat(decoded.entries()).isEqualTo(result.entries());
    assertThat(decoded.diffId()).isEqualTo(Digest.sha256(tar));
    assertThat(decoded.tarSize()).isEqualTo(tar.length);
    assertThat(decoded.get("bin/ping").xattrs().get("security.capability").toArray())
        .isEqualTo(LayerIngestTest.CAPABILITY);
    assertThat(decoded.get("bin/ls").linkGroup()).isEqualTo(decoded.get("bin/busybox").linkGroup()).isNotZero();
    assertThat(decoded.get("dev/null").devMinor()).isEqualTo(3);
    assertThat(decoded.get("etc/.wh.motd").target()).isEqualTo("etc/motd");
    assertThat(decoded.get("missing")).isNull();
  }

  @Test
  void encodingIsDeterministic() {
    ImmutableList<LayerEntry> entries = ImmutableList.of(file("a"), file("a/b"), file("c"));

    assertThat(IndexCodec.encode(DIFF_ID, 1024, entries)).isEqualTo(IndexCodec.encode(DIFF_ID, 1024, entries));
  }

  @Test
  void emptyIndexRoundTrips() throws IOException {
    IndexCodec.Decoded empty = new IndexCodec.Decoded(DIFF_ID, 1024, ImmutableList.of());

    byte[] data = IndexCodec.encode(DIFF_ID, 1024, ImmutableList.of());

    assertThat(new String(data, 0, 8, US_ASCII)).isEqualTo("STRATAIX");
    assertThat(IndexCodec.checksumValid(data)).isTrue();
    assertThat(IndexCodec.decode(data)).isEqualTo(empty);
  }

  @Test
  void checksumValidIsFalseForDataTooShortToHoldOne() {
    assertThat(IndexCodec.checksumValid(new byte[0])).isFalse();
    assertThat(IndexCodec.checksumValid(new byte[39])).isFalse();
  }

  @Test
  void refusesSomethingElse() {
    assertThatThrownBy(() -> IndexCodec.decode(new byte[0])).isInstanceOf(IOException.class).hasMessageContaining("bad magic");
    assertThatThrownBy(() -> IndexCodec.decode("{\"not\": \"an index\"}".repeat(4).getBytes(UTF_8)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("bad magic");
  }

  @Test
  void refusesADamagedIndex() {
    byte[] data = IndexCodec.encode(DIFF_ID, 1024, ImmutableList.of(file("usr/bin/su")));
    // Somewhere in the entry: the mode, a digest byte... all equally untrustworthy once damaged.
    data[data.length - 40] ^= 0x04;

    assertThat(IndexCodec.checksumValid(data)).isFalse();
    assertThatThrownBy(() -> IndexCodec.decode(data))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("checksum does not match");
  }

  @Test
  void refusesAnotherVersion() {
    assertThatThrownBy(() -> IndexCodec.decode(body(b -> b.varint(2))))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("unsupported layer index version 2");
  }

  @Test
  void refusesAnUnknownDigestAlgorithm() {
    assertThatThrownBy(() -> IndexCodec.decode(body(b -> b.varint(1).string("md5").bytes(new byte[32]))))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("corrupt layer index");
  }

  // The bodies below carry a valid checksum, as a buggy writer or a hostile store could make
  // them: each count is far beyond the data and must fail as an IOException, not allocate it.

  @Test
  void refusesAHugeStringTableCount() {
    assertHostile(b -> header(b).varint(Integer.MAX_VALUE));
  }

  @Test
  void refusesAHugeEntryCount() {
    assertHostile(b -> header(b).varint(1).string("").varint(Integer.MAX_VALUE));
  }

  @Test
  void refusesAHugePathSuffix() {
    assertHostile(b -> header(b).varint(1).string("").varint(1).varint(0).varint(Integer.MAX_VALUE - 4));
  }

  @Test
  void refusesAStringLengthThatOverflows() {
    assertHostile(b -> header(b).varint(1).varint(Integer.MAX_VALUE).bytes(new byte[20]));
  }

  @Test
  void refusesANegativeLength() {
    assertHostile(b -> header(b).varint(1).varint(-5L).bytes(new byte[20]));
  }

  @Test
  void refusesAPathSharingMoreThanThePreviousPath() {
    assertHostile(b -> header(b).varint(1).string("").varint(1).varint(5).varint(1).bytes("x".getBytes(UTF_8))
        .bytes(new byte[30]));
  }

  @Test
  void refusesAnUnknownEntryKind() {
    assertHostile(b -> header(b).varint(1).string("").varint(1).varint(0).varint(1).bytes("x".getBytes(UTF_8))
        .varint(99).bytes(new byte[30]));
  }

  @Test
  void refusesAHugeXattrValue() {
    assertHostile(b -> header(b).varint(2).string("").string("user.x").varint(1)
        .varint(0).varint(1).bytes("d".getBytes(UTF_8))
        .varint(EntryKind.DIRECTORY.ordinal()).varint(0755).varint(0).varint(0).varint(0).varint(0)
        .varint(0).varint(0).varint(0).varint(0)
        .varint(1).varint(1).varint(Integer.MAX_VALUE).bytes(new byte[8]));
  }

  private static void assertHostile(Consumer<Body> content) {
    byte[] data = body(content);

    assertThat(IndexCodec.checksumValid(data)).isTrue();
    assertThatThrownBy(() -> IndexCodec.decode(data)).isInstanceOf(IOException.class);
  }

  private static Body header(Body b) {
    return b.varint(1).string("sha256").bytes(DIFF_ID.raw()).varint(1024);
  }

  /** Builds index bytes by hand: the magic, then {@code content}, then a valid checksum. */
  private static byte[] body(Consumer<Body> content) {
    Body b = new Body();
    b.bytes("STRATAIX".getBytes(US_ASCII));
    content.accept(b);
    return IndexCodecPropertiesTest.withChecksum(b.toByteArray());
  }

  private static final class Body extends ByteArrayOutputStream {
    Body varint(long v) {
      while ((v & ~0x7fL) != 0) {
        write((int) ((v & 0x7f) | 0x80));
        v >>>= 7;
      }
      write((int) v);
      return this;
    }

    Body bytes(byte[] b) {
      write(b, 0, b.length);
      return this;
    }

    Body string(String s) {
      byte[] b = s.getBytes(UTF_8);
      return varint(b.length).bytes(b);
    }
  }

  private static LayerEntry file(String path) {
    return new LayerEntry(path, EntryKind.FILE, 0755, 0, 0, "root", "root", 1_700_000_000L, 0, 5, null, 0, 0,
        Digest.sha256(path.getBytes(UTF_8)), 0, null);
  }
}
