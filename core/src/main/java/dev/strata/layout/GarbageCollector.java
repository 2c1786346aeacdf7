package dev.strata.layout;

import com.google.common.collect.ImmutableList;
import dev.strata.digest.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Removes blobs, objects and layer indexes that no tag, container or mount reaches, and
 * leftovers of staging. Runs beside mounts (their pins keep their images) but not beside
 * pulls, pushes and commits, which hold the store lock while they write.
 */
public final class GarbageCollector {
  private GarbageCollector() {}

  /**
   * What gc removed (or, in a dry run, would remove), the mounts whose images it kept, and
   * what it could not remove.
   */
  public record Report(ImmutableList<String> removed, long bytes, boolean dryRun, ImmutableList<String> keptForMounts,
      ImmutableList<String> notRemoved) {}

  /** Collects garbage; with {@code dryRun} only reports. Waits as long as it takes for the lock. */
  public static Report run(Store store, boolean dryRun) throws IOException {
    return run(store, dryRun, null);
  }

  /**
   * Collects garbage under the exclusive store lock, waiting for it at most {@code timeout}
   * (null: as long as it takes; a {@link StoreBusyException} names who holds it).
   */
  public static Report run(Store store, boolean dryRun, java.time.Duration timeout) throws IOException {
    try (Store.Lock lock = store.exclusive(timeout)) {
      List<Pins.Live> pins = Pins.collect(store, dryRun);
      Reachability live = Reachability.of(store, pins.stream().map(Pins.Live::manifest).toList());
      // A mount reads its objects where they were when it looked: those stay where they are.
      Reachability pinned = Reachability.ofManifests(store, pins.stream().map(Pins.Live::manifest).toList());
      List<String> removed = new ArrayList<>();
      long bytes = 0;
      for (Digest d : store.blobs().list(stray -> { })) {
        if (!live.blobs.contains(d)) {
          bytes += store.blobs().size(d);
          removed.add("blob " + d);
          if (!dryRun) {
            store.blobs().delete(d);
          }
        }
      }
      for (Digest d : store.layers().list()) {
        if (!live.layers.contains(d)) {
          removed.add("layer index " + d);
          if (!dryRun) {
            store.layers().delete(d);
          }
        }
      }
      var objects = store.objects().retain(live.objects, pinned.objects, dryRun);
      objects.objects().forEach(d -> removed.add("object " + d));
      bytes += objects.bytes();
      if (!dryRun) {
        pruneOrigins(store, live);
      }
      // No pull, push or commit runs while gc holds the lock exclusively, so all of tmp/ but the
      // staging directories of live processes (mounts among them) is leftovers of interrupted writes.
      List<String> notRemoved = new ArrayList<>();
      try (Stream<Path> leftovers = Files.list(store.tmp().getParent())) {
        for (Path p : (Iterable<Path>) leftovers::iterator) {
          if (!StagingSessions.isSession(p.getFileName().toString())) {
            removed.add("staging leftover " + store.root().relativize(p));
            if (!dryRun) {
              StagingSessions.removeTree(p, notRemoved);
            }
          }
        }
      }
      return new Report(ImmutableList.copyOf(removed), bytes, dryRun,
          pins.stream().map(p -> p.holder()).distinct().collect(ImmutableList.toImmutableList()),
          ImmutableList.copyOf(notRemoved));
    }
  }

  /**
   * Drops the registry origins ({@code origins/<alg>/<hex>}, where a pulled blob came from) of
   * blobs that are gone: hints for cross-repository mounts, not content, so not reported.
   */
  private static void pruneOrigins(Store store, Reachability live) throws IOException {
    Path origins = store.root().resolve("origins");
    if (!Files.isDirectory(origins)) {
      return;
    }
    try (Stream<Path> algorithms = Files.list(origins)) {
      for (Path alg : (Iterable<Path>) algorithms::iterator) {
        try (Stream<Path> hints = Files.list(alg)) {
          for (Path hint : (Iterable<Path>) hints::iterator) {
            Digest d;
            try {
              d = new Digest(alg.getFileName().toString(), hint.getFileName().toString());
            } catch (IllegalArgumentException notAHint) {
              Files.deleteIfExists(hint);
              continue;
            }
            if (!live.blobs.contains(d)) {
              Files.deleteIfExists(hint);
            }
          }
        }
      }
    }
  }
}
