package dev.strata.union;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.host.Privileges;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a union stopped half-way left in its work directory goes when the next union opens. */
class WorkDirectoryTest {
  @TempDir
  Path dir;

  @Test
  void stagedCopiesOfAnEarlierUnionAreRemovedAtOpen() throws Exception {
    Path lower = Files.createDirectories(dir.resolve("lower"));
    Files.writeString(lower.resolve("a"), "a\n");
    Path work = Files.createDirectories(dir.resolve("work/work"));
    Files.writeString(work.resolve("#copyup-1234-1"), "half a copy");
    Files.createDirectories(work.resolve("#copyup-5678-2"));
    Files.writeString(work.resolve("#copyup-5678-2/inside"), "x");
    Files.writeString(work.resolve("not-ours"), "kept");
    try (UnionFs fs = UnionFs.open(List.of(HostDirLayer.open(lower)), Files.createDirectories(dir.resolve("upper")),
        dir.resolve("work"), UnionOptions.defaults(Privileges.ofProcess()))) {
      assertThat(fs.getattr(fs.lookup(UnionFs.ROOT, "a")).size()).isEqualTo(2);
    }
    try (var left = Files.list(work)) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactly("not-ours");
    }
  }
}
