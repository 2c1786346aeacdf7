package dev.strata.bench;

import dev.strata.build.BuildOptions;
import dev.strata.build.CopyOptions;
import dev.strata.build.LayerBuilder;
import dev.strata.image.Layer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A layer made of a host directory by the library ({@link LayerBuilder#copy}: walk, sorted PAX
 * tar, gzip, both digests) against what a shell does for the same bytes, {@code tar -cf - . |
 * gzip -6 | sha256sum} (GNU tar, no sorting, no diff id). The ratio library / shell is the cost
 * of reproducibility and of taking both digests in one pass.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar -f 1 -wi 2 -i 5 LayerFromDirectory
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3)
@Measurement(iterations = 10)
public class LayerFromDirectoryBenchmark {
  /** Files of the tree, spread over 500 directories, 40 to 300 bytes each, as a source tree. */
  @Param("5000")
  public int files;

  private Path dir;
  private Path tree;
  private BuildOptions options;

  @Setup
  public void create() throws IOException {
    dir = Files.createTempDirectory("strata-bench-layer-");
    tree = Files.createDirectory(dir.resolve("tree"));
    for (int i = 0; i < files; i++) {
      Path d = Files.createDirectories(tree.resolve("pkg" + (i % 50)).resolve("mod" + (i % 500 / 50)));
      Files.writeString(d.resolve("File" + i + ".java"), ("class F" + i + " {}\n").repeat(1 + i % 7),
          StandardCharsets.UTF_8);
    }
    options = BuildOptions.defaults().withScratch(Files.createDirectory(dir.resolve("scratch")));
  }

  @TearDown
  public void delete() throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Benchmark
  public Layer library() throws IOException {
    return new LayerBuilder().copy(tree, "/app/", CopyOptions.DEFAULTS).build(options);
  }

  @Benchmark
  public int tarGzip() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("sh", "-c", "tar -C '" + tree + "' -cf - . | gzip -6 | sha256sum")
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    return p.waitFor();
  }
}
