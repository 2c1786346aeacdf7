package dev.strata.bench;

import dev.strata.host.Privileges;
import dev.strata.union.DirEntry;
import dev.strata.union.UnionFs;
import dev.strata.union.UnionOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * One full listing (opendir, readdir from offset 0, releasedir) of {@code /big}, a directory of
 * 10,000 visible names merged from 5 layers of 2,000 each. Each layer but the bottom also
 * whites out 200 names of the layer below it, so the merge has whiteouts to honour and 800
 * names to hide. The union has an empty upper, as a writable mount has.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar -f 1 -wi 3 -w 2s -i 5 -r 2s MergedReaddir
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class MergedReaddirBenchmark {
  private static final int LAYERS = 5;
  private static final int NAMES = 2_000;
  private static final int WHITED_OUT = 200;
  /** Every visible name, plus "." and "..". */
  private static final int EXPECTED = LAYERS * NAMES + 2;

  /** {@code store}: store layers, as mounts read them; {@code host}: host directories. */
  @Param({BenchLowers.STORE, BenchLowers.HOST})
  public String lower;

  private BenchLowers lowers;
  private Path upperDir;
  private UnionFs fs;
  private long dir;

  @Setup(Level.Trial)
  public void build() throws IOException {
    Privileges host = Privileges.ofProcess();
    List<LayerSpec> specs = new ArrayList<>();
    for (int i = 0; i < LAYERS; i++) {
      LayerSpec spec = new LayerSpec().dir("big");
      for (int j = 0; j < NAMES; j++) {
        spec.file("big/l" + i + "-f" + j, 8);
      }
      if (i > 0) {
        for (int j = 0; j < WHITED_OUT; j++) {
          spec.file("big/l" + i + "-gone" + j, 8);
        }
      }
      if (i < LAYERS - 1) {
        for (int j = 0; j < WHITED_OUT; j++) {
          spec.whiteout("big/l" + (i + 1) + "-gone" + j);
        }
      }
      specs.add(spec);
    }
    lowers = BenchLowers.build(lower, specs, host);
    try {
      upperDir = Files.createTempDirectory("strata-bench-upper-");
      Files.createDirectory(upperDir.resolve("upper"));
      fs = UnionFs.open(lowers.layers(), upperDir.resolve("upper"), upperDir.resolve("work"),
          UnionOptions.defaults(host));
      dir = fs.lookup(UnionFs.ROOT, "big");
      // A wrong merge would time the wrong work: check the listing once.
      int n = list().size();
      if (n != EXPECTED) {
        throw new IllegalStateException("/big lists " + n + " entries, expected " + EXPECTED);
      }
    } catch (IOException | RuntimeException e) {
      // JMH runs no teardown after a failed setup.
      delete();
      throw e;
    }
  }

  @TearDown(Level.Trial)
  public void delete() throws IOException {
    lowers.close();
    if (upperDir != null) {
      BenchLowers.delete(upperDir);
    }
  }

  @Benchmark
  public List<DirEntry> list() throws IOException {
    long h = fs.opendir(dir);
    try {
      return fs.readdir(h, 0);
    } finally {
      fs.releasedir(h);
    }
  }
}
