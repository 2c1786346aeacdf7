package dev.strata.layout;

import com.google.common.collect.ImmutableList;
import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.layer.LayerEntry;
import dev.strata.layer.LayerIndex;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks a store: re-hashes every blob and object, decodes every layer index and checks that
 * the objects it names exist, and that every tag's manifest, config and layers are present.
 * With repair, removes every bad piece (and indexes that lean on a bad object), so that the
 * next pull fetches them again.
 */
public final class Fsck {
  private Fsck() {}

  /** One bad piece. */
  public record Problem(String what, String detail, boolean repaired) {}

  /** The result: every problem, and how much was checked. */
  public record Report(ImmutableList<Problem> problems, int blobs, int objects, int layers, int tags) {
    public boolean clean() {
      return problems.isEmpty();
    }
  }

  /** Checks {@code store}; with {@code repair}, removes what is bad. */
  public static Report run(Store store, boolean repair) throws IOException {
    try (Store.Lock lock = repair ? store.exclusive() : store.shared()) {
      List<Problem> problems = new ArrayList<>();
      Set<Digest> badObjects = new HashSet<>();

      var blobs = store.blobs().list(stray -> problems.add(new Problem("stray file", stray.toString(), false)));
      for (Digest d : blobs) {
        if (!store.blobs().verify(d)) {
          problems.add(new Problem("blob " + d, "content does not match its digest", repair && store.blobs().delete(d)));
        }
      }
      int[] looseChecked = {0};
      for (Digest d : store.objects().checkLoose(repair,
          stray -> problems.add(new Problem("stray file", stray.toString(), false)), looseChecked)) {
        badObjects.add(d);
        problems.add(new Problem("object " + d, "content does not match its digest", repair));
      }
      for (var p : store.objects().checkPacks(repair, badObjects)) {
        problems.add(new Problem("pack " + p.pack(), p.detail(), repair));
      }
      int objects = looseChecked[0] + store.objects().packedCount();
      var layers = store.layers().list();
      for (Digest diffId : layers) {
        String problem = checkIndex(store, diffId, badObjects);
        if (problem != null) {
          if (repair) {
            store.layers().delete(diffId);
          }
          problems.add(new Problem("layer index " + diffId, problem, repair));
        }
      }
      var tags = store.tags();
      for (var tag : tags.entrySet()) {
        String problem = checkImage(store, tag.getKey());
        if (problem != null) {
          problems.add(new Problem("image " + tag.getKey(), problem, false));
        }
      }
      return new Report(ImmutableList.copyOf(problems), blobs.size(), objects, layers.size(), tags.size());
    }
  }

  private static String checkIndex(Store store, Digest diffId, Set<Digest> badObjects) {
    LayerIndex index;
    try {
      index = store.layers().read(diffId);
      index.verify();
    } catch (IOException e) {
      return e.getMessage();
    }
    try {
      for (LayerEntry e : index.entries()) {
        if (e.object() != null && (badObjects.contains(e.object()) || !store.objects().contains(e.object()))) {
          return "object " + e.object() + " of " + e.path() + " is missing or bad";
        }
      }
      return null;
    } catch (java.io.UncheckedIOException e) {
      return e.getCause().getMessage();
    }
  }

  private static String checkImage(Store store, String name) {
    try {
      StoredImage image = StoredImage.load(store, name);
      String unmountable = image.unmountable(store);
      if (unmountable != null) {
        return "cannot be mounted: " + unmountable;
      }
      // A layer with its blob but no index yet is fine (another tool wrote the image into the
      // store; its first mount indexes it); an index without its blob cannot be pushed.
      for (Descriptor layer : image.manifest().layers()) {
        if (!store.blobs().contains(layer.digest())) {
          return "layer blob " + layer.digest() + " is missing";
        }
      }
      return null;
    } catch (IOException e) {
      return e.getMessage();
    }
  }

}
