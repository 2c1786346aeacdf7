package dev.strata.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What each layer adds, modifies, deletes and wastes, computed from nothing but GNU tar's
 * listing of each layer blob ({@code tar -tvzf}), written apart from Strata's own code so the
 * two can be compared: paths visible after each layer are kept as a sorted map, whiteouts and
 * opaque markers remove from the state before the layer's own entries go in.
 */
final class TarOracle {
  /** One visible path: its type letter, the layer that put it there, and the file whose bytes it shows. */
  private record Seen(char type, int layer, String file) {}

  /** One layer's counts. */
  record Layer(TreeSet<String> added, TreeSet<String> modified, TreeSet<String> deleted, long fileBytes, long wasted) {}

  final List<Layer> layers = new ArrayList<>();
  final TreeMap<String, Character> finalTree = new TreeMap<>();

  static TarOracle of(List<Path> gzipBlobs) throws Exception {
    List<List<TarListing>> listings = new ArrayList<>();
    for (Path blob : gzipBlobs) {
      listings.add(TarListing.parse(Commands.run(List.of("tar", "--numeric-owner", "--full-time",
          "--quoting-style=literal", "-tvzf", blob.toString()))));
    }
    return new TarOracle(listings);
  }

  private TarOracle(List<List<TarListing>> listings) {
    TreeMap<String, Seen> state = new TreeMap<>();
    List<Map<String, Long>> filesByLayer = new ArrayList<>();
    List<TreeSet<String>[]> sets = new ArrayList<>();
    for (int i = 0; i < listings.size(); i++) {
      int layer = i + 1;
      Map<String, Seen> before = new HashMap<>(state);
      for (TarListing t : listings.get(i)) {
        String base = t.name().substring(t.name().lastIndexOf('/') + 1);
        String dir = t.name().contains("/") ? t.name().substring(0, t.name().lastIndexOf('/')) : "";
        if (base.equals(".wh..wh..opq")) {
          removeBelow(state, dir);
        } else if (base.startsWith(".wh.")) {
          String gone = (dir.isEmpty() ? "" : dir + "/") + base.substring(4);
          state.remove(gone);
          removeBelow(state, gone);
        }
      }
      Map<String, Long> files = new HashMap<>();
      TreeSet<String> added = new TreeSet<>();
      TreeSet<String> modified = new TreeSet<>();
      for (TarListing t : listings.get(i)) {
        String base = t.name().substring(t.name().lastIndexOf('/') + 1);
        if (base.startsWith(".wh.") || t.name().isEmpty()) {
          continue;
        }
        char type = t.mode().charAt(0);
        Seen old = state.get(t.name());
        if (type != 'd' || old != null && old.type() != 'd') {
          removeBelow(state, t.name());
        }
        String file = null;
        if (type == '-') {
          file = layer + ":" + t.name();
          files.put(file, Long.parseLong(t.size()));
        } else if (type == 'h') {
          Seen target = state.get(t.link());
          file = target == null ? null : target.file();
        }
        state.put(t.name(), new Seen(type, layer, file));
        for (String p = parent(t.name()); !p.isEmpty(); p = parent(p)) {
          if (state.containsKey(p) && state.get(p).type() == 'd') {
            break;
          }
          state.put(p, new Seen('d', layer, null));
        }
        if (type != 'd') {
          (before.containsKey(t.name()) ? modified : added).add(t.name());
        }
      }
      TreeSet<String> deleted = new TreeSet<>();
      for (var e : before.entrySet()) {
        Seen now = state.get(e.getKey());
        if (e.getValue().type() != 'd' && (now == null || now.type() == 'd')) {
          deleted.add(e.getKey());
        }
      }
      filesByLayer.add(files);
      @SuppressWarnings("unchecked")
      TreeSet<String>[] s = new TreeSet[] {added, modified, deleted};
      sets.add(s);
    }
    Set<String> alive = new HashSet<>();
    for (var e : state.entrySet()) {
      finalTree.put(e.getKey(), e.getValue().type());
      if (e.getValue().file() != null) {
        alive.add(e.getValue().file());
      }
    }
    for (int i = 0; i < listings.size(); i++) {
      long total = 0;
      long wasted = 0;
      for (var f : filesByLayer.get(i).entrySet()) {
        total += f.getValue();
        wasted += alive.contains(f.getKey()) ? 0 : f.getValue();
      }
      layers.add(new Layer(sets.get(i)[0], sets.get(i)[1], sets.get(i)[2], total, wasted));
    }
  }

  long fileBytes() {
    return layers.stream().mapToLong(Layer::fileBytes).sum();
  }

  long wasted() {
    return layers.stream().mapToLong(Layer::wasted).sum();
  }

  private static void removeBelow(TreeMap<String, Seen> state, String dir) {
    if (dir.isEmpty()) {
      state.clear();
    } else {
      state.subMap(dir + "/", dir + "/\uffff").clear();
    }
  }

  private static String parent(String p) {
    int slash = p.lastIndexOf('/');
    return slash < 0 ? "" : p.substring(0, slash);
  }
}
