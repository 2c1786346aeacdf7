package dev.strata.layer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.blob.ContentStore;
import dev.strata.blob.ObjectBatch;
import dev.strata.digest.Digest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the writer writes, the ingest (and GNU tar) reads back exactly; the same bytes each time. */
class LayerTarWriterTest {
  @TempDir Path dir;

  private static final String LONG = "dir-" + "x".repeat(120) + "/ünïcödé-" + "y".repeat(90);
  private static final byte[] CAPABILITY = {0x01, 0x00, 0x00, 0x02, (byte) 0x80, (byte) 0xff, 0x00, 0x20};

  private byte[] sample() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (LayerTarWriter w = new LayerTarWriter(out)) {
      TreeMap<String, byte[]> xattrs = new TreeMap<>();
      xattrs.put("security.capability", CAPABILITY);
      xattrs.put("user.note", "hi".getBytes(StandardCharsets.UTF_8));
      w.directory("etc", new LayerTarWriter.Meta(0755, 0, 0, 946684800, 0, null));
      w.whiteout("etc", "gone");
      w.opaque("etc");
      byte[] data = "content".getBytes(StandardCharsets.UTF_8);
      w.file("etc/ping", new LayerTarWriter.Meta(04755, 1000, 2000, 1700000000, 123456789, xattrs), data.length,
          new ByteArrayInputStream(data));
      w.hardlink("etc/pong", new LayerTarWriter.Meta(04755, 1000, 2000, 1700000000, 123456789, null), "etc/ping");
      w.directory(LONG.substring(0, LONG.indexOf('/')), new LayerTarWriter.Meta(0700, 0, 0, -5, 0, null));
      w.symlink(LONG, new LayerTarWriter.Meta(0777, 0, 0, 1, 0, null), "/target/" + "z".repeat(150));
      w.special("dev-null", TarConstants.LF_CHR, new LayerTarWriter.Meta(0666, 0, 0, 0, 0, null), 1, 3);
      w.special("pipe", TarConstants.LF_FIFO, new LayerTarWriter.Meta(0600, 0, 0, 0, 0, null), 0, 0);
    }
    return out.toByteArray();
  }

  @Test
  void theIngestReadsBackEveryFieldExactly() throws IOException {
    byte[] tar = sample();
    ContentStore objects = ContentStore.fannedOut(dir.resolve("objects"), dir.resolve("tmp"));
    List<LayerEntry> entries;
    try (ObjectBatch batch = objects.batch()) {
      entries = LayerIngest.ingest(new ByteArrayInputStream(tar), batch, LowerFiles.NONE, IngestLimits.DEFAULT).entries();
      batch.commit();
    }
    assertThat(entries).extracting(LayerEntry::path).containsExactly("etc", "etc/.wh.gone", "etc/.wh..wh..opq",
        "etc/ping", "etc/pong", LONG.substring(0, LONG.indexOf('/')), LONG, "dev-null", "pipe");
    LayerEntry ping = entries.get(3);
    assertThat(ping.mode()).isEqualTo(04755);
    assertThat(ping.uid()).isEqualTo(1000);
    assertThat(ping.gid()).isEqualTo(2000);
    assertThat(ping.mtimeSeconds()).isEqualTo(1700000000);
    assertThat(ping.mtimeNanos()).isEqualTo(123456789);
    assertThat(ping.xattrs().get("security.capability").toArray()).isEqualTo(CAPABILITY);
    assertThat(ping.xattrs().get("user.note").toArray()).isEqualTo("hi".getBytes(StandardCharsets.UTF_8));
    assertThat(ping.uname()).isEmpty();
    assertThat(entries.get(4).kind()).isEqualTo(EntryKind.HARDLINK);
    assertThat(entries.get(4).object()).isEqualTo(ping.object());
    assertThat(entries.get(5).mtimeSeconds()).isEqualTo(-5);
    assertThat(entries.get(6).linkTarget()).isEqualTo("/target/" + "z".repeat(150));
    assertThat(entries.get(7).kind()).isEqualTo(EntryKind.CHAR_DEVICE);
    assertThat(entries.get(7).devMinor()).isEqualTo(3);
    assertThat(entries.get(8).kind()).isEqualTo(EntryKind.FIFO);
    assertThat(entries.get(1).kind()).isEqualTo(EntryKind.WHITEOUT);
    assertThat(entries.get(2).kind()).isEqualTo(EntryKind.OPAQUE);
  }

  @Test
  void theSameContentGivesTheSameBytes() throws IOException {
    assertThat(Digest.sha256(sample())).isEqualTo(Digest.sha256(sample()));
  }

  @Test
  void gnuTarReadsItToo() throws Exception {
    Path file = dir.resolve("layer.tar");
    Files.write(file, sample());
    Process p = new ProcessBuilder("tar", "--numeric-owner", "--full-time", "-tvf", file.toString())
        .redirectErrorStream(true).start();
    String listing = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(listing).isZero();
    assertThat(listing).contains("etc/ping", "1000/2000", "2023-11-14 22:13:20.123456789", LONG, "etc/pong link to etc/ping");
  }
}
