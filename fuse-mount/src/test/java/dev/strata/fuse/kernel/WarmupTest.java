package dev.strata.fuse.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.host.Privileges;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The warm-up must really walk and change: a protocol or engine change that made its requests
 * fail would only be logged by a server, and the first requests of every mount would be slow
 * again.
 */
class WarmupTest {
  /** Each directory: the files of both lowers once, a symlink from each lower, "sub", the upper's "new". */
  private static final int ENTRIES_PER_WALK = Warmup.DIRS + Warmup.DIRS * (Warmup.FILES + 4);

  @Test
  void walksTheWholeScratchTreeAsThisProcess() throws IOException {
    assertWalks(Privileges.ofProcess());
  }

  @Test
  void walksTheWholeScratchTreeAsARootlessUpper() throws IOException {
    assertWalks(Privileges.UNPRIVILEGED);
  }

  private static void assertWalks(Privileges privileges) throws IOException {
    List<Path> before = scratchTrees();
    int entries = Warmup.run(privileges, KernelMountOptions.defaults("warmup-test"));
    // Each round's changes (a copy-up, names made, renamed and removed) leave one lower file
    // of its directory removed, which the next round's walk no longer lists.
    assertThat(entries).isEqualTo(Warmup.ROUNDS * ENTRIES_PER_WALK - (Warmup.ROUNDS - 1));
    assertThat(scratchTrees()).as("scratch trees left behind").isSubsetOf(before);
  }

  private static List<Path> scratchTrees() throws IOException {
    Path shm = Path.of("/dev/shm");
    Path dir = Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith("strata-warmup-")).toList();
    }
  }
}
