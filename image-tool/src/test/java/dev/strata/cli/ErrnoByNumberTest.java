package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.host.Errno;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Errors are told apart by their errno number, never by their text: strerror's words (which
 * depend on the locale and the libc) appear in the main sources only in {@link Errno}'s own
 * table, and nothing reads a {@code FileSystemException}'s reason, which is that text.
 */
class ErrnoByNumberTest {
  private static final List<String> MODULES = List.of("core", "fuse-mount", "image-tool", "benchmarks");
  private static final Path ERRNO = Path.of("core/src/main/java/dev/strata/host/Errno.java");
  private static final Pattern LITERAL = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");

  @Test
  void noStringLiteralHoldsAStrerrorTextOutsideErrnosTable() throws IOException {
    List<String> offenders = new ArrayList<>();
    for (Line line : mainSources()) {
      if (line.file().equals(ERRNO)) {
        continue;
      }
      for (String literal : literals(line.text())) {
        for (Errno e : Errno.values()) {
          if (literal.contains(e.description())) {
            offenders.add(line + " (" + e + ")");
          }
        }
      }
    }
    assertThat(offenders).isEmpty();
  }

  @Test
  void nothingReadsTheReasonTheJdkGivesAFileSystemException() throws IOException {
    assertThat(mainSources()).filteredOn(line -> line.text().contains(".getReason()")).isEmpty();
  }

  @Test
  void theScanSeesErrnosTable() throws IOException {
    // Guards the tests above against passing because they looked in the wrong place.
    assertThat(mainSources()).filteredOn(line -> line.file().equals(ERRNO))
        .anyMatch(line -> literals(line.text()).contains(Errno.ENOSPC.description()));
  }

  private record Line(Path file, int number, String text) {
    @Override
    public String toString() {
      return file + ":" + number + ": " + text.strip();
    }
  }

  private static List<String> literals(String line) {
    List<String> out = new ArrayList<>();
    Matcher m = LITERAL.matcher(line);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  /** Every line of every main source file, named relative to the repository. */
  private static List<Line> mainSources() throws IOException {
    List<Line> out = new ArrayList<>();
    Path repo = TestImages.repo();
    for (String module : MODULES) {
      Path src = repo.resolve(module).resolve("src/main/java");
      if (!Files.isDirectory(src)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(src)) {
        for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
          List<String> lines = Files.readAllLines(f);
          for (int i = 0; i < lines.size(); i++) {
            out.add(new Line(repo.relativize(f), i + 1, lines.get(i)));
          }
        }
      }
    }
    return out;
  }
}
