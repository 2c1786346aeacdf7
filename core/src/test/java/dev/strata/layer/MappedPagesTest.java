package dev.strata.layer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.blob.ContentStore;
import dev.strata.blob.ObjectBatch;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mount's server hands back the index pages its reads mapped (a walk of a big layer touches
 * all of them): the pages leave the process's resident size, and reads after it see the same.
 */
class MappedPagesTest {
  @TempDir
  Path dir;

  @Test
  void releasedIndexPagesLeaveTheProcessAndReadTheSame() throws IOException {
    TarBuilder tar = new TarBuilder();
    for (int d = 0; d < 40; d++) {
      tar.dir("directory-" + d);
      for (int f = 0; f < 100; f++) {
        tar.file("directory-" + d + "/a-file-with-a-longish-name-" + f, "");
      }
    }
    ContentStore objects = ContentStore.fannedOut(dir.resolve("objects"), dir.resolve("tmp"));
    LayerIndex ingested;
    try (ObjectBatch batch = objects.batch()) {
      ingested = LayerIngest.ingest(new ByteArrayInputStream(tar.toBytes()), batch, LowerFiles.NONE,
          IngestLimits.DEFAULT).index();
    }
    Path file = IndexCodec.upgrade(IndexCodec.encode(ingested.diffId(), ingested.tarSize(),
        List.copyOf(ingested.entries())), dir);
    assertThat(Files.size(file)).as("an index large enough to be mapped").isGreaterThan(MappedFile.HEAP_BELOW);
    LayerIndex index = LayerIndex.open(file);

    List<LayerEntry> read = List.copyOf(index.entries());
    long touched = residentKb(file);
    assertThat(touched).as("kB of the index resident after reading every entry").isGreaterThanOrEqualTo(64);

    index.releasePages();
    assertThat(residentKb(file)).as("kB of the index resident after its release").isLessThan(touched).isZero();

    assertThat(List.copyOf(index.entries())).isEqualTo(read);
    assertThat(index.get("directory-7/a-file-with-a-longish-name-42")).isNotNull();
  }

  /** The resident size of this process's mapping of {@code file}, from /proc/self/smaps. */
  private static long residentKb(Path file) throws IOException {
    String name = file.toRealPath().toString();
    long kb = 0;
    boolean in = false;
    for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
      if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
        in = line.endsWith(" " + name);
      } else if (in && line.startsWith("Rss:")) {
        kb += Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return kb;
  }
}
