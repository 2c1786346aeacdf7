package dev.strata.bench;

import dev.strata.host.Privileges;
import dev.strata.union.FileType;
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
 * The cost of resolving {@code /d1/d2/d3/d4/target} (five lookups) as the number of lower
 * layers grows. Every layer holds the four directories and 100 unrelated files at each level;
 * only the bottom layer holds {@code target}, so each lookup of a name passes through every
 * layer. The target of the issue: at most 1.5x from 1 to 100 layers.
 *
 * <p>Each operation is what FUSE sends for a path walk and its end: five lookups, then five
 * forgets. {@code cold} forgets the nodes, so the next walk resolves every name through the
 * layers again (the kernel dropped its dentries); {@code warm} holds one more lookup of each
 * node, so the walk is answered from the engine's dentry cache. Both pay the same forgets.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar -f 1 -wi 3 -w 1s -i 5 -r 1s UnionLookup
 * java -jar benchmarks/target/benchmarks.jar -f 1 -wi 3 -w 1s -i 5 -r 1s -p lower=host UnionLookup
 * java -jar benchmarks/target/benchmarks.jar -f 1 -wi 3 -w 1s -i 5 -r 1s -p layers=100 -prof stack UnionLookup.cold
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class UnionLookupBenchmark {
  private static final String[] PATH = {"d1", "d2", "d3", "d4", "target"};
  private static final int FILLERS = 100;

  /** How many lower layers. */
  @Param({"1", "10", "50", "100"})
  public int layers;

  /** {@code store}: store layers, as mounts read them; {@code host}: host directories. */
  @Param(BenchLowers.STORE)
  public String lower;

  /** Whether the union has an (empty) upper directory, as a writable mount has. */
  @Param("true")
  public boolean upper;

  private BenchLowers lowers;
  private Path upperDir;
  private UnionFs fs;
  private final long[] ids = new long[PATH.length];

  @Setup(Level.Trial)
  public void build() throws IOException {
    Privileges host = Privileges.ofProcess();
    List<LayerSpec> specs = new ArrayList<>();
    for (int i = 0; i < layers; i++) {
      specs.add(layer(i, i == layers - 1));
    }
    lowers = BenchLowers.build(lower, specs, host);
    try {
      if (upper) {
        upperDir = Files.createTempDirectory("strata-bench-upper-");
        Files.createDirectory(upperDir.resolve("upper"));
        fs = UnionFs.open(lowers.layers(), upperDir.resolve("upper"), upperDir.resolve("work"),
            UnionOptions.defaults(host));
      } else {
        fs = UnionFs.open(lowers.layers(), null, null, UnionOptions.defaults(host));
      }
      // A wrong fixture would time a failing lookup: check that the walk ends at the file.
      walk();
      if (FileType.ofMode(fs.getattr(ids[PATH.length - 1]).mode()) != FileType.REGULAR) {
        throw new IllegalStateException("/d1/d2/d3/d4/target is not a regular file");
      }
      forget();
    } catch (IOException | RuntimeException e) {
      // JMH runs no teardown after a failed setup.
      delete();
      throw e;
    }
  }

  /** Layer {@code i}: the four directories and 100 fillers at each level; {@code target} if bottom. */
  private static LayerSpec layer(int i, boolean bottom) {
    LayerSpec spec = new LayerSpec();
    String dir = "";
    for (int level = 0; level <= 4; level++) {
      if (level > 0) {
        dir = dir.isEmpty() ? PATH[level - 1] : dir + "/" + PATH[level - 1];
        spec.dir(dir);
      }
      for (int j = 0; j < FILLERS; j++) {
        String name = "l" + i + "-f" + j;
        spec.file(dir.isEmpty() ? name : dir + "/" + name, 0);
      }
    }
    if (bottom) {
      spec.file(dir + "/target", 16);
    }
    return spec;
  }

  /** Pins every node of the walk (one lookup more each) for {@link #warm}. */
  @State(Scope.Benchmark)
  public static class Pinned {
    @Setup(Level.Trial)
    public void pin(UnionLookupBenchmark b) throws IOException {
      b.walk();
    }
  }

  @TearDown(Level.Trial)
  public void delete() throws IOException {
    lowers.close();
    if (upperDir != null) {
      BenchLowers.delete(upperDir);
    }
  }

  /** Walk and forget with nothing cached: every name resolved through every layer. */
  @Benchmark
  public long cold() throws IOException {
    long leaf = walk();
    forget();
    return leaf;
  }

  /** Walk and forget with the nodes held: the dentry cache answers. */
  @Benchmark
  public long warm(Pinned pinned) throws IOException {
    long leaf = walk();
    forget();
    return leaf;
  }

  private long walk() throws IOException {
    long node = UnionFs.ROOT;
    for (int i = 0; i < PATH.length; i++) {
      node = fs.lookup(node, PATH[i]);
      ids[i] = node;
    }
    return node;
  }

  /** Forgets the walk deepest first, as the kernel does: a node goes once its children have. */
  private void forget() {
    for (int i = PATH.length - 1; i >= 0; i--) {
      fs.forget(ids[i], 1);
    }
  }
}
