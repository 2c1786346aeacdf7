package dev.strata.union;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.host.Privileges;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A copy-up copies its data holding no lock other operations need: while the copy of one file
 * is stopped half-way (its content blocks until the test lets it go), names are made, renamed,
 * linked and listed elsewhere in the union, and a second opener of the same file waits for the
 * first copy instead of making its own. No timing is measured: a wait that never ends fails.
 */
class CopyUpOutsideLocksTest {
  @TempDir
  Path dir;

  private final CountDownLatch copying = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger opens = new AtomicInteger();

  /** The layer, with "big" read through a content that stops at its first read. */
  private final class Stalling extends ForwardingLowerLayer {
    Stalling(LowerLayer layer) {
      super(layer);
    }

    @Override
    public FileContent open(String path) throws IOException {
      FileContent content = super.open(path);
      if (!path.equals("big")) {
        return content;
      }
      opens.incrementAndGet();
      return new FileContent() {
        @Override
        public long size() {
          return content.size();
        }

        @Override
        public int read(long position, ByteBuffer dst) throws IOException {
          copying.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            throw new IOException(e);
          }
          return content.read(position, dst);
        }

        @Override
        public Extent extent() {
          return null; // through read(), where it stops
        }

        @Override
        public void close() throws IOException {
          content.close();
        }
      };
    }
  }

  @Test
  void namesChangeElsewhereWhileALargeFileIsCopiedUp() throws Exception {
    Path lower = Files.createDirectories(dir.resolve("lower"));
    byte[] data = new byte[3 << 20];
    new java.util.Random(7).nextBytes(data);
    Files.write(lower.resolve("big"), data);
    Files.writeString(lower.resolve("other"), "other\n");
    Files.writeString(lower.resolve("third"), "third\n");
    Files.createDirectories(lower.resolve("d"));
    try (UnionFs fs = UnionFs.open(List.of(new Stalling(HostDirLayer.open(lower))),
        Files.createDirectories(dir.resolve("upper")), dir.resolve("work"), UnionOptions.defaults(Privileges.ofProcess()))) {
      long big = fs.lookup(UnionFs.ROOT, "big");
      CompletableFuture<Long> first = CompletableFuture.supplyAsync(() -> open(fs, big));
      assertThat(copying.await(60, TimeUnit.SECONDS)).as("the copy-up started").isTrue();
      CompletableFuture<Long> second = CompletableFuture.supplyAsync(() -> open(fs, big));

      CompletableFuture<Void> elsewhere = CompletableFuture.runAsync(() -> {
        try {
          fs.mkdir(UnionFs.ROOT, "made", 0755, Ctx.ROOT);
          fs.rename(UnionFs.ROOT, "other", fs.lookup(UnionFs.ROOT, "d"), "moved", 0);
          fs.link(fs.lookup(UnionFs.ROOT, "third"), UnionFs.ROOT, "third-link");
          fs.getattr(fs.lookup(UnionFs.ROOT, "made"));
          fs.releasedir(fs.opendir(UnionFs.ROOT));
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      elsewhere.get(60, TimeUnit.SECONDS); // hangs (and fails) if the copy holds a lock they need
      assertThat(first).isNotDone();
      assertThat(second).isNotDone();

      release.countDown();
      long h1 = first.get(60, TimeUnit.SECONDS);
      long h2 = second.get(60, TimeUnit.SECONDS);
      assertThat(opens).as("contents opened for copying").hasValue(1);
      ByteBuffer back = ByteBuffer.allocate(data.length);
      while (back.hasRemaining() && fs.read(h2, back.position(), back) > 0) { }
      assertThat(back.array()).isEqualTo(data);
      assertThat(Files.readAllBytes(dir.resolve("upper/big"))).isEqualTo(data);
      long moved = fs.open(fs.lookup(fs.lookup(UnionFs.ROOT, "d"), "moved"), 0);
      ByteBuffer other = ByteBuffer.allocate(64);
      fs.read(moved, 0, other);
      assertThat(new String(other.array(), 0, other.position(), java.nio.charset.StandardCharsets.UTF_8))
          .isEqualTo("other\n");
      fs.release(moved);
      fs.release(h1);
      fs.release(h2);
    }
  }

  private static long open(UnionFs fs, long node) {
    try {
      return fs.open(node, 2);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
