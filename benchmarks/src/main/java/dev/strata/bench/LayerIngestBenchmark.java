package dev.strata.bench;

import dev.strata.blob.Durability;
import dev.strata.digest.Digest;
import dev.strata.digest.DigestMismatchException;
import dev.strata.digest.DigestingInputStream;
import dev.strata.layer.LayerIngest;
import dev.strata.layer.LayerStreams;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
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
 * How close ingesting a layer comes to its limit. A layer cannot be ingested faster than it can
 * be gunzipped and its DiffID computed, so {@code decompressAndHash} is the floor and the
 * ratio ingest / decompressAndHash is the overhead of parsing the tar, hashing and storing
 * every file, and committing. The target is 1.5x.
 *
 * <p>Each operation takes one to three seconds, so it is timed one shot at a time, each ingest
 * into an empty store made outside the timing.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar -f 1 -wi 2 -i 5 LayerIngest
 * java -jar benchmarks/target/benchmarks.jar -f 1 -wi 2 -i 5 -p layout=/tmp/mi-test/debian LayerIngest
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
public class LayerIngestBenchmark {
  /** The Debian OCI layout; empty means $STRATA_BENCH_IMAGES/debian or /tmp/strata-bench-images/debian. */
  @Param("")
  public String layout;

  private LayerBlob layer;

  /** An empty store for one invocation; its creation and deletion are not timed. */
  @State(Scope.Thread)
  public static class FreshStore {
    TempStore temp;

    @Setup(Level.Invocation)
    public void create() throws IOException {
      temp = TempStore.create();
      // The commit syncs the whole filesystem: flush the previous store's deletion now, so
      // that it is not timed with this ingest (compare-pull.sh syncs before each run alike).
      Durability.syncFilesystem(temp.store().root());
    }

    @TearDown(Level.Invocation)
    public void delete() throws IOException {
      temp.close();
    }
  }

  @Setup(Level.Trial)
  public void locate() throws IOException {
    layer = BenchImages.firstLayer(BenchImages.debianLayout(layout), BenchImages.MINBASE);
  }

  /** The limit: read the blob, gunzip it and sha256 the tar, nothing else. */
  @Benchmark
  public Digest decompressAndHash() throws IOException {
    try (InputStream blob = Files.newInputStream(layer.file());
        DigestingInputStream tar = DigestingInputStream.sha256(LayerStreams.decompress(blob, layer.compression()))) {
      tar.transferTo(OutputStream.nullOutputStream());
      Digest diffId = tar.digest();
      if (!diffId.equals(layer.diffId())) {
        throw DigestMismatchException.of("diff id of " + layer.file(), layer.diffId(), diffId);
      }
      return diffId;
    }
  }

  /** The full ingest as Puller does it: decompression on a second thread, objects committed. */
  @Benchmark
  public LayerIngest.Result ingest(FreshStore fresh) throws IOException {
    return LayerIngestion.ingest(fresh.temp.store(), layer, true);
  }

  /** The same with decompression on the calling thread: what the read-ahead thread buys. */
  @Benchmark
  public LayerIngest.Result ingestWithoutReadAhead(FreshStore fresh) throws IOException {
    return LayerIngestion.ingest(fresh.temp.store(), layer, false);
  }
}
