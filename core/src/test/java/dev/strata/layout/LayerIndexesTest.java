package dev.strata.layout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.blob.ObjectBatch;
import dev.strata.layer.IndexCodec;
import dev.strata.layer.IngestLimits;
import dev.strata.layer.LayerIndex;
import dev.strata.layer.LayerIngest;
import dev.strata.layer.LowerFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerIndexesTest {
  @TempDir
  Path dir;

  @Test
  void anIndexAPreviousVersionWroteIsUpgradedWhenFirstReadAndShowsTheSameLayer() throws IOException {
    Store store = Store.open(dir.resolve("store"));
    LayerIngest.Result result;
    try (ObjectBatch batch = store.objects().batch()) {
      result = LayerIngest.ingest(new ByteArrayInputStream(tar()), batch, LowerFiles.NONE, IngestLimits.DEFAULT,
          store.tmp());
      batch.commit();
    }
    Path file = store.layers().dir(result.diffId()).resolve("index");
    Files.createDirectories(file.getParent());
    Files.write(file, IndexCodec.encode(result.diffId(), result.uncompressedSize(), List.copyOf(result.entries())));
    Files.delete(result.indexFile());
    assertThat(LayerIndex.version(file)).isEqualTo(1);

    LayerIndex read = store.layers().read(result.diffId());

    assertThat(LayerIndex.version(file)).isEqualTo(2);
    assertThat(read).isEqualTo(result.index());
    assertThat(read.tree().node(read.tree().find("a/link")).nlink()).isEqualTo(2);
    assertThat(read.tree().shown(read.tree().find("a/link")).object()).isEqualTo(read.get("a/file").object());
    try (var left = Files.list(store.tmp())) {
      assertThat(left.filter(p -> p.getFileName().toString().startsWith("index"))).isEmpty();
    }
  }

  private static byte[] tar() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      TarArchiveEntry d = new TarArchiveEntry("a/");
      tar.putArchiveEntry(d);
      tar.closeArchiveEntry();
      TarArchiveEntry f = new TarArchiveEntry("a/file");
      f.setSize(3);
      tar.putArchiveEntry(f);
      tar.write("abc".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      tar.closeArchiveEntry();
      TarArchiveEntry l = new TarArchiveEntry("a/link", TarArchiveEntry.LF_LINK);
      l.setLinkName("a/file");
      tar.putArchiveEntry(l);
      tar.closeArchiveEntry();
    }
    return bytes.toByteArray();
  }
}
