package dev.strata.build;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Where built layers are kept until they are written somewhere: the directory the options name,
 * or one of this JVM's, made at the first build and removed when the JVM exits.
 */
final class Scratch {
  private static Path own;

  private Scratch() {}

  static synchronized Path directory(BuildOptions options) throws IOException {
    if (options.scratch() != null) {
      return Files.createDirectories(options.scratch());
    }
    if (own == null) {
      own = Files.createTempDirectory("strata-build-");
      Path dir = own;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir), "strata-build-scratch"));
    }
    return own;
  }

  private static void delete(Path dir) {
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.deleteIfExists(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          Files.deleteIfExists(d);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
