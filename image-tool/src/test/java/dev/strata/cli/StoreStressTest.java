package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.layout.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One store under load from every kind of strata process at once, for a bounded time: pulls of
 * images that share layers, rmi, gc, commits of containers changed through their mounts, and
 * read-only mounts read whole while the rest goes on. Each is a process of its own, as users
 * run them. Afterwards fsck must find the store whole, and every tagged image must show through
 * a mount exactly what umoci unpacks from the store (which reads the blobs, not Strata's objects
 * and indexes): nothing lost, nothing half there.
 *
 * <p>{@code -Dstrata.stress.seconds=N} sets how long the load lasts (default 40).
 */
class StoreStressTest {
  private static final long SECONDS = Long.getLong("strata.stress.seconds", 40);
  @TempDir Path dir;

  private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, AtomicInteger> done = new ConcurrentHashMap<>();

  @Test
  void pullsCommitsRmiGcAndMountsAtOnceLoseNothing() throws Exception {
    Path layout = images();
    Path store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + layout + ":3layer", "base").assertOk();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
    ExecutorService workers = Executors.newFixedThreadPool(5);
    List<Future<?>> running = new ArrayList<>();
    running.add(workers.submit(() -> loop(deadline, 1, random -> pull(store, layout, random))));
    running.add(workers.submit(() -> loop(deadline, 2, random -> rmi(store, random))));
    running.add(workers.submit(() -> loop(deadline, 3, random -> gc(store))));
    running.add(workers.submit(() -> loop(deadline, 4, random -> commit(store, random))));
    running.add(workers.submit(() -> loop(deadline, 5, random -> readThroughAMount(store, random))));
    for (Future<?> f : running) {
      f.get(SECONDS + 600, TimeUnit.SECONDS);
    }
    workers.shutdown();
    assertThat(failures).isEmpty();
    // The load was real: each kind of process ran, and more than once.
    assertThat(done.keySet()).contains("pull", "rmi", "gc", "commit", "mount");
    done.forEach((op, n) -> assertThat(n.get()).as(op).isGreaterThanOrEqualTo(2));

    assertThat(Strata.run(store, "fsck").assertOk().out()).contains("all good");
    List<String> tags = new ArrayList<>(Store.open(store).tags().keySet());
    assertThat(tags).isNotEmpty();
    for (String tag : tags) {
      assertThat(mounted(store, tag)).as("image %s through a mount, against umoci", tag)
          .isEqualTo(unpacked(store, tag)).isNotEmpty();
    }
  }

  /** One operation; returns whether it found something to do. */
  private interface Step {
    boolean run(Random random) throws Exception;
  }

  /** Runs {@code step} until the deadline, and at least twice however slow the machine is. */
  private void loop(long deadline, int seed, Step step) {
    Random random = new Random(seed);
    int worked = 0;
    while ((worked < 2 || System.nanoTime() < deadline) && failures.size() < 5) {
      try {
        if (step.run(random)) {
          worked++;
        }
      } catch (Throwable t) {
        failures.add(t.toString());
      }
    }
  }

  private void count(String op) {
    done.computeIfAbsent(op, k -> new AtomicInteger()).incrementAndGet();
  }

  private static final String[] SOURCES = {"3layer", "many", "more"};

  private boolean pull(Path store, Path layout, Random random) throws Exception {
    String source = SOURCES[random.nextInt(SOURCES.length)];
    expectOk("pull", StrataProcess.exec(store, Map.of(), "pull", "oci:" + layout + ":" + source,
        source + "-" + random.nextInt(3)));
    return true;
  }

  /** Removes every tag of one source image, so that gc finds its own layers unreached. */
  private boolean rmi(Path store, Random random) throws Exception {
    String source = SOURCES[random.nextInt(SOURCES.length)];
    List<String> args = new ArrayList<>(List.of("rmi"));
    // The committer's containers are made from base; it stays.
    Store.open(store).tags().keySet().stream().filter(t -> t.startsWith(source + "-")).forEach(args::add);
    if (args.size() == 1) {
      Thread.sleep(100);
      return false;
    }
    // Another rmi cannot have taken them (there is one remover), so they must be there to remove.
    expectOk("rmi", StrataProcess.exec(store, Map.of(), args.toArray(new String[0])));
    Thread.sleep(200);
    return true;
  }

  private boolean gc(Path store) throws Exception {
    expectOk("gc", StrataProcess.exec(store, Map.of(), "gc"));
    return true;
  }

  /** A container of base changed through its mount (a file written, a lower file removed), committed. */
  private boolean commit(Path store, Random random) throws Exception {
    int n = random.nextInt(1_000_000);
    String c = "c" + n;
    Path mp = Files.createDirectories(dir.resolve("commit-mnt"));
    expectOk("mount", StrataProcess.exec(store, Map.of(), "mount", "--name", c, "base", mp.toString()));
    try {
      Files.writeString(mp.resolve("stress-" + n), "written by " + c + "\n");
      try (var files = Files.list(mp.resolve("etc"))) {
        Path victim = files.filter(Files::isRegularFile).findFirst().orElseThrow();
        Files.delete(victim);
      }
    } finally {
      expectOk("umount", StrataProcess.exec(store, Map.of(), "umount", mp.toString()));
    }
    expectOk("commit", StrataProcess.exec(store, Map.of(), "commit", c, "commit-" + (n % 4)));
    expectOk("rm", StrataProcess.exec(store, Map.of(), "rm", c));
    return true;
  }

  /** A read-only mount of some tagged image, every file read whole, while the others go on. */
  private boolean readThroughAMount(Path store, Random random) throws Exception {
    List<String> tags = new ArrayList<>(Store.open(store).tags().keySet());
    String tag = tags.isEmpty() ? "base" : tags.get(random.nextInt(tags.size()));
    Path mp = Files.createDirectories(dir.resolve("read-mnt"));
    Commands.Result mount = StrataProcess.exec(store, Map.of(), "mount", "--read-only", tag, mp.toString());
    if (mount.exit() != 0 && mount.out().contains("no image named '" + tag + "'")) {
      return false; // removed between the look and the mount
    }
    expectOk("mount", mount);
    try {
      // Read after the remover and gc have had time to take the image away under the mount.
      Thread.sleep(1000 + random.nextInt(1000));
      RootListing.withContents(mp);
    } finally {
      expectOk("umount", StrataProcess.exec(store, Map.of(), "umount", mp.toString()));
    }
    return true;
  }

  private void expectOk(String op, Commands.Result r) {
    if (r.exit() != 0) {
      throw new AssertionError(op + " exited " + r.exit() + ": " + r.out());
    }
    count(op);
  }

  private List<String> mounted(Path store, String tag) throws Exception {
    Path mp = Files.createDirectories(dir.resolve("check-mnt"));
    Strata.run(store, "mount", "--read-only", tag, mp.toString()).assertOk();
    try {
      return RootListing.withContents(mp);
    } finally {
      Strata.run(store, "umount", mp.toString()).assertOk();
    }
  }

  private List<String> unpacked(Path store, String tag) throws Exception {
    Path bundle = dir.resolve("bundle-" + tag.replace(':', '_'));
    Commands.run(List.of("umoci", "unpack", "--image", store + ":" + tag, bundle.toString()));
    return RootListing.withContents(bundle.resolve("rootfs"));
  }

  /**
   * The tiny test image, and two more on it: "many" adds a layer of 2,000 small files, "more"
   * adds to "many" a layer of 1,500 others, so pulls share layers and gc has packs to rewrite.
   */
  private Path images() throws IOException, InterruptedException {
    Path layout = dir.resolve("layout");
    Commands.run(List.of("cp", "-a", TestImages.tiny().toString(), layout.toString()));
    addLayer(layout, "3layer", "many", "many", 2_000);
    addLayer(layout, "many", "more", "more", 1_500);
    return layout;
  }

  private void addLayer(Path layout, String from, String to, String name, int files)
      throws IOException, InterruptedException {
    Path tree = Files.createDirectories(dir.resolve("tree-" + name).resolve(name));
    for (int i = 0; i < files; i++) {
      Files.writeString(tree.resolve("f" + i), name + " " + i + "\n");
    }
    Path tar = dir.resolve(name + ".tar");
    Commands.run(List.of("tar", "-C", tree.getParent().toString(), "-cf", tar.toString(), name));
    Commands.run(List.of("umoci", "raw", "add-layer", "--image", layout + ":" + from, "--tag", to, tar.toString()));
  }
}
