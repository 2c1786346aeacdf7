package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * jnr-fuse is used only in fuse-mount and picocli only in image-tool, so that the core stays a
 * library that any program (an image builder, a different mount transport) can embed; in core,
 * native calls (jnr-ffi) are made in one package, {@code dev.strata.host}.
 */
class ModuleBoundaryTest {
  private static final List<String> MODULES = List.of("core", "fuse-mount", "image-tool", "benchmarks");

  @Test
  void jnrFuseOnlyInFuseMount() throws IOException {
    assertThat(importsOutside("fuse-mount", "import ru.serce.")).isEmpty();
  }

  @Test
  void nativeCallsOnlyInFuseMountAndTheHostPackage() throws IOException {
    assertThat(importsOutside("fuse-mount", "import jnr.", "import com.kenai."))
        .allMatch(line -> line.startsWith("core/src/main/java/dev/strata/host/"), "in dev.strata.host");
  }

  @Test
  void picocliOnlyInImageTool() throws IOException {
    assertThat(importsOutside("image-tool", "import picocli.")).isEmpty();
  }

  @Test
  void theScanSeesTheSources() throws IOException {
    // Guards the two tests above against passing because they looked in the wrong place.
    assertThat(importsOutside("none", "import picocli.")).isNotEmpty();
  }

  private static List<String> importsOutside(String allowedModule, String... prefixes) throws IOException {
    List<String> offenders = new ArrayList<>();
    for (String module : MODULES) {
      if (module.equals(allowedModule)) {
        continue;
      }
      Path src = TestImages.repo().resolve(module).resolve("src");
      if (!Files.isDirectory(src)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(src)) {
        for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
          for (String line : Files.readAllLines(f)) {
            for (String prefix : prefixes) {
              if (line.trim().startsWith(prefix)) {
                offenders.add(TestImages.repo().relativize(f) + ": " + line.trim());
              }
            }
          }
        }
      }
    }
    return offenders;
  }
}
