package dev.strata.union;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.Privileges;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lower layers are read once per name for the life of a union: a name the kernel forgot and
 * asks again costs no walk through the layers, and what the upper does since still wins.
 */
class LowerCacheTest {
  private static final int LAYERS = 20;

  @TempDir Path dir;

  /** A layer that counts the entries it is asked for. */
  private static final class Counting extends ForwardingLowerLayer {
    private final AtomicInteger stats;

    Counting(LowerLayer layer, AtomicInteger stats) {
      super(layer);
      this.stats = stats;
    }

    @Override
    public LowerEntry stat(String path) throws IOException {
      stats.incrementAndGet();
      return super.stat(path);
    }
  }

  private final AtomicInteger stats = new AtomicInteger();

  private UnionFs open() throws IOException {
    List<LowerLayer> lowers = new ArrayList<>();
    for (int i = 0; i < LAYERS; i++) {
      Path root = Files.createDirectories(dir.resolve("l" + i + "/a/b"));
      root = dir.resolve("l" + i);
      if (i == LAYERS - 1) {
        Files.writeString(root.resolve("a/b/target"), "bottom");
      }
      lowers.add(new Counting(HostDirLayer.open(root), stats));
    }
    Files.createDirectories(dir.resolve("upper"));
    return UnionFs.open(lowers, dir.resolve("upper"), dir.resolve("work"), UnionOptions.defaults(Privileges.ofProcess()));
  }

  private static long[] walk(UnionFs fs) throws IOException {
    long a = fs.lookup(UnionFs.ROOT, "a");
    long b = fs.lookup(a, "b");
    long target = fs.lookup(b, "target");
    return new long[] {a, b, target};
  }

  private static void forget(UnionFs fs, long[] nodes) {
    for (int i = nodes.length - 1; i >= 0; i--) {
      fs.forget(nodes[i], 1);
    }
  }

  @Test
  void aForgottenPathIsResolvedAgainWithoutAskingTheLayers() throws IOException {
    try (UnionFs fs = open()) {
      long[] first = walk(fs);
      int firstWalk = stats.get();
      assertThat(firstWalk).as("the first walk asks every layer for each name").isGreaterThanOrEqualTo(3 * LAYERS);
      long ino = fs.getattr(first[2]).ino();
      forget(fs, first);

      int before = stats.get();
      long[] again = walk(fs);
      assertThat(stats.get() - before).as("layer stats for the second walk").isZero();
      assertThat(fs.getattr(again[2]).ino()).isEqualTo(ino);
      assertThat(fs.getattr(again[2]).size()).isEqualTo("bottom".length());
    }
  }

  @Test
  void theUpperStillWinsOverWhatTheCacheRemembers() throws IOException {
    try (UnionFs fs = open()) {
      long[] first = walk(fs);
      fs.unlink(first[1], "target");
      forget(fs, first);
      long a = fs.lookup(UnionFs.ROOT, "a");
      long b = fs.lookup(a, "b");
      assertThatThrownBy(() -> fs.lookup(b, "target")).isInstanceOf(ErrnoException.class)
          .extracting(e -> ((ErrnoException) e).errno()).isEqualTo(Errno.ENOENT);
    }
  }

  @Test
  void theCacheIsBounded() throws IOException {
    LowerCache cache = new LowerCache(2);
    List<LowerRef> chain = List.of(new LowerRef(0, "", null));
    AtomicInteger walks = new AtomicInteger();
    LowerCache.Walk walk = (c, name) -> {
      walks.incrementAndGet();
      return LowerCache.Below.NOTHING;
    };
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 100; i++) {
        cache.below(chain, "n" + i, walk);
      }
    }
    assertThat(walks.get()).as("names walked again after eviction").isGreaterThan(100);
    cache.below(chain, "n99", walk);
    int after = walks.get();
    cache.below(chain, "n99", walk);
    assertThat(walks.get()).as("a recent name is still remembered").isEqualTo(after);
  }
}
