package dev.strata.bench;

import dev.strata.digest.Digest;
import dev.strata.layer.LayerIndex;
import java.io.IOException;
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
 * Opening a layer's index in place (map the file, read its header) — what every command that
 * looks into an image, and every mount, pays per layer before it can answer anything.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar -f 1 -wi 3 -w 2s -i 5 -r 2s IndexLoad
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class IndexLoadBenchmark {
  /** The Debian OCI layout; empty means $STRATA_BENCH_IMAGES/debian or /tmp/strata-bench-images/debian. */
  @Param("")
  public String layout;

  private TempStore temp;
  private Digest diffId;

  /** Ingests the minbase layer once, so that its index is on disk to be loaded. */
  @Setup(Level.Trial)
  public void ingest() throws IOException {
    LayerBlob layer = BenchImages.firstLayer(BenchImages.debianLayout(layout), BenchImages.MINBASE);
    temp = TempStore.create();
    diffId = LayerIngestion.ingest(temp.store(), layer, true).diffId();
  }

  @TearDown(Level.Trial)
  public void delete() throws IOException {
    temp.close();
  }

  @Benchmark
  public LayerIndex load() throws IOException {
    return temp.store().layers().read(diffId);
  }
}
