package dev.strata.bench;

import dev.strata.volume.Volume;
import dev.strata.volume.Volumes;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
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
 * A volume snapshot ({@link Volumes#commit}) as a function of the bytes changed since the last
 * one and of the volume's size: a volume of {@code files} files of 256 KiB of random bytes,
 * committed once, then before each measured commit {@code changed} of its files rewritten with
 * new bytes. With {@code memory} false the stat memory of the last snapshot is deleted first,
 * so the commit reads every file: what a commit would cost without it.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar -f 1 -wi 1 -i 5 VolumeCommit
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
public class VolumeCommitBenchmark {
  private static final int FILE = 256 * 1024;

  /** The volume's files: 256 is 64 MiB, 2048 is 512 MiB. */
  @Param({"256", "2048"})
  public int files;

  /** The files rewritten before each commit: 1 is 256 KiB changed, 16 is 4 MiB, 128 is 32 MiB. */
  @Param({"1", "16", "128"})
  public int changed;

  /** Whether the commit has the stat memory of the last snapshot. */
  @Param({"true", "false"})
  public boolean memory;

  private TempStore temp;
  private Volumes volumes;
  private Volume volume;
  private final Random random = new Random(14);
  private final byte[] bytes = new byte[FILE];
  private int round;

  @Setup(Level.Trial)
  public void create() throws IOException {
    temp = TempStore.create();
    volumes = new Volumes(temp.store());
    volume = volumes.create("bench", Map.of());
    for (int i = 0; i < files; i++) {
      rewrite(i);
    }
    volumes.commit("bench", "all");
  }

  @Setup(Level.Invocation)
  public void change() throws IOException {
    // Different files each round, spread over the volume.
    for (int i = 0; i < changed; i++) {
      rewrite((round * changed + i) % files);
    }
    round++;
    if (!memory) {
      Files.deleteIfExists(volume.dir().resolve("stat"));
    }
  }

  @TearDown(Level.Trial)
  public void delete() throws IOException {
    temp.close();
  }

  @Benchmark
  public String commit() throws IOException {
    return volumes.commit("bench", "round " + round).id();
  }

  private void rewrite(int i) throws IOException {
    random.nextBytes(bytes);
    Path file = volume.data().resolve("f" + i);
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(bytes);
    }
  }
}
