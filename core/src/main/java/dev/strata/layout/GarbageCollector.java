package dev.strata.layout;

import com.google.common.collect.ImmutableList;
import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import dev.strata.digest.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Removes blobs, objects and layer indexes that no tag reaches, and leftovers of staging. */
public final class GarbageCollector {
  private GarbageCollector() {}

  /** What gc removed (or, in a dry run, would remove). */
  public record Report(ImmutableList<String> removed, long bytes, boolean dryRun) {}

  /** Collects garbage; with {@code dryRun} only reports. Runs under the exclusive store lock. */
  public static Report run(Store store, boolean dryRun) throws IOException {
    try (Store.Lock lock = store.exclusive()) {
      Reachability live = Reachability.of(store);
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
      var objects = store.objects().retain(live.objects, dryRun);
      objects.objects().forEach(d -> removed.add("object " + d));
      bytes += objects.bytes();
      if (!dryRun) {
        pruneOrigins(store, live);
      }
      // Nothing else runs while gc holds the lock exclusively, so all of tmp/ is leftovers of
      // interrupted writes.
      try (Stream<Path> leftovers = Files.list(store.tmp())) {
        for (Path p : (Iterable<Path>) leftovers::iterator) {
          removed.add("staging leftover " + store.root().relativize(p));
          if (!dryRun) {
            MoreFiles.deleteRecursively(p, RecursiveDeleteOption.ALLOW_INSECURE);
          }
        }
      }
      return new Report(ImmutableList.copyOf(removed), bytes, dryRun);
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
