package dev.strata.bench;

import dev.strata.blob.Durability;
import dev.strata.host.HostPaths;
import dev.strata.host.Privileges;
import dev.strata.union.Attr;
import dev.strata.union.SetAttr;
import dev.strata.union.UnionFs;
import dev.strata.union.UnionOptions;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * Copy-up against its limit. {@code copyUp} opens a 256 MiB lower file O_RDWR through the
 * union, which copies it into a fresh upper; {@code filesCopy} and {@code transferTo} copy the
 * same host file on the same filesystem with Files.copy and with FileChannel.transferTo (both
 * in-kernel copies that, unlike copy-up, keep no holes). The target: copyUp / filesCopy at most
 * 1.2. The file is random bytes, so copy-up finds no hole to skip.
 *
 * <p>{@code chmodHuge} and {@code chmodSmall} change the mode of a 1 GiB sparse lower file and
 * of a 1 MiB one: a metadata-only copy-up (metacopy=on), which should cost the same for both.
 *
 * <p>Every invocation starts from an empty upper under java.io.tmpdir (ext4 here), made,
 * flushed and later deleted outside the timing. Each is one shot: the data copies take a tenth
 * of a second or more; the chmods run more shots to warm the code.
 *
 * <p>On a filesystem with reflinks the kernel's copy is a clone, whose cost does not grow with
 * the file: run with java.io.tmpdir on xfs with reflink=1 and two sizes of the data file to see
 * {@code copyUp} take the same time for 1 MiB and 1 GiB (a sparse image, as root):
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar -f 1 CopyUp
 * java -jar benchmarks/target/benchmarks.jar -f 1 -p lower=store CopyUp
 * truncate -s 8G /tmp/xfs.img &amp;&amp; mkfs.xfs -q -m reflink=1 /tmp/xfs.img &amp;&amp; mkdir -p /mnt/xfs &amp;&amp; mount -o loop /tmp/xfs.img /mnt/xfs
 * java -jar benchmarks/target/benchmarks.jar -f 1 -p size=1048576,1073741824 -jvmArgsAppend -Djava.io.tmpdir=/mnt/xfs CopyUpBenchmark.copyUp
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
public class CopyUpBenchmark {
  private static final int O_RDWR = 2;
  private static final String BIG = "data/big.bin";
  private static final String HUGE = "meta/huge.bin";
  private static final long HUGE_SIZE = 1L << 30;
  private static final String SMALL = "meta/small.bin";
  private static final long SMALL_SIZE = 1L << 20;

  /** {@code host}: a host directory, the 1 GiB file sparse; {@code store}: a store layer. */
  @Param(BenchLowers.HOST)
  public String lower;

  /** Bytes of the random data file copy-up copies (256 MiB by default). */
  @Param("268435456")
  public long size;

  private Privileges host;
  private BenchLowers lowers;
  private Path bigFile;

  @Setup(Level.Trial)
  public void build() throws IOException {
    host = Privileges.ofProcess();
    LayerSpec spec = new LayerSpec().dir("data").file(BIG, size)
        .dir("meta").zeros(HUGE, HUGE_SIZE).file(SMALL, SMALL_SIZE);
    lowers = BenchLowers.build(lower, List.of(spec), host);
    try {
      bigFile = lowers.hostFile(0, BIG);
      check();
    } catch (IOException | RuntimeException e) {
      // JMH runs no teardown after a failed setup.
      lowers.close();
      throw e;
    }
  }

  /** Copies up once outside the timing, so that a broken copy-up cannot pass for a fast one. */
  private void check() throws IOException {
    Fresh f = new Fresh();
    f.create(this);
    try {
      f.fs.release(f.fs.open(f.big, O_RDWR));
      Path copied = f.upper.resolve(BIG);
      if (Files.size(copied) != size || Files.mismatch(copied, bigFile) != -1) {
        throw new IllegalStateException("copy-up of " + BIG + " made a different file");
      }
      Attr a = f.fs.setattr(f.huge, SetAttr.mode(0600));
      Path meta = f.upper.resolve(HUGE);
      boolean metacopy = HostPaths.getxattr(meta, host.overlayXattrPrefix() + "metacopy") != null;
      if ((a.mode() & 07777) != 0600 || Files.size(meta) != HUGE_SIZE || !metacopy) {
        throw new IllegalStateException("chmod of " + HUGE + " was not a metadata-only copy-up");
      }
    } finally {
      f.delete();
    }
  }

  @TearDown(Level.Trial)
  public void deleteLowers() throws IOException {
    lowers.close();
  }

  /** An empty upper, a union over it with the three files looked up, and a target directory. */
  @State(Scope.Thread)
  public static class Fresh {
    Path dir;
    Path upper;
    Path plain;
    UnionFs fs;
    long big;
    long huge;
    long small;

    @Setup(Level.Invocation)
    public void create(CopyUpBenchmark b) throws IOException {
      dir = Files.createTempDirectory("strata-bench-copyup-");
      try {
        upper = Files.createDirectory(dir.resolve("upper"));
        plain = Files.createDirectory(dir.resolve("plain"));
        // The union is not closed: closing it would close the shared lowers.
        fs = UnionFs.open(b.lowers.layers(), upper, dir.resolve("work"), UnionOptions.defaults(b.host));
        big = lookup(BIG);
        huge = lookup(HUGE);
        small = lookup(SMALL);
        // Flush the previous invocation's deletion now, so that it is not timed with this one.
        Durability.syncFilesystem(dir);
      } catch (IOException | RuntimeException e) {
        delete();
        throw e;
      }
    }

    private long lookup(String path) throws IOException {
      long node = UnionFs.ROOT;
      for (String name : path.split("/")) {
        node = fs.lookup(node, name);
      }
      return node;
    }

    @TearDown(Level.Invocation)
    public void delete() throws IOException {
      BenchLowers.delete(dir);
    }
  }

  /** Copy-up of 256 MiB: open O_RDWR, then release. */
  @Benchmark
  @Warmup(iterations = 3)
  @Measurement(iterations = 10)
  public long copyUp(Fresh f) throws IOException {
    long h = f.fs.open(f.big, O_RDWR);
    f.fs.release(h);
    return h;
  }

  /** The limit as most programs copy: Files.copy of the same 256 MiB on the same filesystem. */
  @Benchmark
  @Warmup(iterations = 3)
  @Measurement(iterations = 10)
  public Path filesCopy(Fresh f) throws IOException {
    return Files.copy(bigFile, f.plain.resolve("big.bin"));
  }

  /** The limit as copy-up copies: FileChannel.transferTo of the same 256 MiB. */
  @Benchmark
  @Warmup(iterations = 3)
  @Measurement(iterations = 10)
  public long transferTo(Fresh f) throws IOException {
    try (FileChannel in = FileChannel.open(bigFile, StandardOpenOption.READ);
        FileChannel out = FileChannel.open(f.plain.resolve("big.bin"), StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE)) {
      long size = in.size();
      long pos = 0;
      while (pos < size) {
        pos += in.transferTo(pos, size - pos, out);
      }
      return pos;
    }
  }

  /** Metadata-only copy-up of a 1 GiB sparse file: chmod. */
  @Benchmark
  @Warmup(iterations = 30)
  @Measurement(iterations = 30)
  public Attr chmodHuge(Fresh f) throws IOException {
    return f.fs.setattr(f.huge, SetAttr.mode(0600));
  }

  /** The same of a 1 MiB file: should cost the same. */
  @Benchmark
  @Warmup(iterations = 30)
  @Measurement(iterations = 30)
  public Attr chmodSmall(Fresh f) throws IOException {
    return f.fs.setattr(f.small, SetAttr.mode(0600));
  }
}
