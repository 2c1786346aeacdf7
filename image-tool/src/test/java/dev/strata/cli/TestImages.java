package dev.strata.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The real OCI images the tests use, built by the repository's scripts/make-images.sh (umoci,
 * busybox, debootstrap). scripts/test.sh builds them once, with the Debian image, and names the
 * directory in STRATA_TEST_IMAGES; a test run without it builds the small ones itself.
 */
final class TestImages {
  private static Path built;

  private TestImages() {}

  static Path repo() {
    return Path.of(System.getProperty("strata.repo", "..")).toAbsolutePath().normalize();
  }

  /** Returns the directory holding tiny/, sample/ and (when built with debootstrap) debian/. */
  static synchronized Path dir() throws IOException, InterruptedException {
    if (built != null) {
      return built;
    }
    String env = System.getenv("STRATA_TEST_IMAGES");
    if (env != null && Files.isDirectory(Path.of(env, "tiny"))) {
      built = Path.of(env);
      return built;
    }
    Path out = repo().resolve("image-tool/target/test-images");
    Commands.run(List.of(repo().resolve("scripts/make-images.sh").toString(), out.toString()));
    built = out;
    return built;
  }

  static Path tiny() throws IOException, InterruptedException {
    return dir().resolve("tiny");
  }

  /** The debootstrap image, or null when this run did not build it. */
  static Path debian() throws IOException, InterruptedException {
    Path d = dir().resolve("debian");
    return Files.isDirectory(d) ? d : null;
  }
}
