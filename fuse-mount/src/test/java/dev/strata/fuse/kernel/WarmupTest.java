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

  @Test
  void deletesTheTreesOfProcessesThatAreGoneAndNoOthers() throws IOException {
    Path dir = scratchDir();
    // A process id past pid_max (2^22) names no process.
    Path dead = Files.createDirectories(dir.resolve(Warmup.PREFIX + 99999999 + "-42"));
    Files.writeString(Files.createDirectories(dead.resolve("upper/d0")).resolve("f"), "left");
    Path alive = Files.createDirectories(dir.resolve(Warmup.PREFIX + ProcessHandle.current().pid() + "-43"));
    Path other = Files.createDirectories(dir.resolve(Warmup.PREFIX + "not-a-pid"));
    try {
      Warmup.run(Privileges.ofProcess(), KernelMountOptions.defaults("warmup-test"));
      assertThat(dead).doesNotExist();
      assertThat(alive).isDirectory();
      assertThat(other).isDirectory();
    } finally {
      Files.deleteIfExists(alive);
      Files.deleteIfExists(other);
    }
  }

  private static void assertWalks(Privileges privileges) throws IOException {
    List<Path> before = scratchTrees();
    int entries = Warmup.run(privileges, KernelMountOptions.defaults("warmup-test"));
    // Each round's changes (a copy-up, names made, renamed and removed) leave one lower file
    // of its directory removed, which the next round's walk no longer lists.
    assertThat(entries).isEqualTo(Warmup.ROUNDS * ENTRIES_PER_WALK - (Warmup.ROUNDS - 1));
    assertThat(scratchTrees()).as("scratch trees left behind").isSubsetOf(before);
  }

  private static Path scratchDir() {
    Path shm = Path.of("/dev/shm");
    return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
  }

  private static List<Path> scratchTrees() throws IOException {
    try (Stream<Path> s = Files.list(scratchDir())) {
      return s.filter(p -> p.getFileName().toString().startsWith("strata-warmup-")).toList();
    }
  }
}
