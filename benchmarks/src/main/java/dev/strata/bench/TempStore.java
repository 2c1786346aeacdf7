package dev.strata.bench;

import dev.strata.layout.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A store in a fresh temporary directory, deleted on close. Every ingest measured starts from
 * an empty store, so that no object is deduplicated against an earlier run's.
 */
final class TempStore implements AutoCloseable {
  private final Path dir;
  private final Store store;

  private TempStore(Path dir, Store store) {
    this.dir = dir;
    this.store = store;
  }

  /**
   * Creates an empty store under java.io.tmpdir; which filesystem that is matters (commit
   * syncs), so run JMH with -jvmArgsAppend -Djava.io.tmpdir=DIR to measure another one.
   */
  static TempStore create() throws IOException {
    Path dir = Files.createTempDirectory("strata-bench-");
    return new TempStore(dir, Store.open(dir).withNotices(null));
  }

  Store store() {
    return store;
  }

  @Override
  public void close() throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      // Deepest first, so that each directory is empty when its turn comes.
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}
