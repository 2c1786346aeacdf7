package dev.strata.transfer;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Private staging directories under a store's tmp/, removed when done. */
final class Staging {
  private Staging() {}

  static Path create(Path tmp, String prefix) throws IOException {
    Files.createDirectories(tmp);
    return Files.createTempDirectory(tmp, prefix);
  }

  static void delete(Path dir) throws IOException {
    if (Files.exists(dir)) {
      // Staging dirs hold only what strata wrote there; no symlink races to guard against.
      MoreFiles.deleteRecursively(dir, RecursiveDeleteOption.ALLOW_INSECURE);
    }
  }
}
