package dev.strata.transfer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Private staging directories under a store's tmp/, removed when done. */
final class Staging {
  private Staging() {}

  static Path create(Path tmp, String prefix) throws IOException {
    Files.createDirectories(tmp);
    return Files.createTempDirectory(tmp, prefix);
  }

  static void delete(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
