package dev.strata.inspect;

import com.google.common.collect.ImmutableList;
import dev.strata.host.Names;
import dev.strata.layer.EntryKind;
import dev.strata.layer.LayerIndex;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Per-layer changes and the waste of a whole image.
 *
 * <p>A layer's file bytes are the sizes of its regular-file entries: a tar stores a
 * hard-linked file's bytes once, at its first name, and its other names as links, which hold
 * none. Those bytes are wasted when no name of that file (in its own layer, or a hard link a
 * later layer makes to it) is in the final tree: later layers overwrote or deleted all of them.
 * Efficiency is the share of all layers' file bytes that the final tree shows.
 */
public final class ImageReport {
  private final InspectedImage image;
  private final ImmutableList<LayerReport> layers;
  private final ImmutableList<WastedFile> wastedFiles;
  private final MergedTree tree;

  private ImageReport(InspectedImage image, ImmutableList<LayerReport> layers,
      ImmutableList<WastedFile> wastedFiles, MergedTree tree) {
    this.image = image;
    this.layers = layers;
    this.wastedFiles = wastedFiles;
    this.tree = tree;
  }

  /** Reads every layer of {@code image} and computes its report. */
  public static ImageReport of(InspectedImage image) throws IOException {
    List<LayerIndex> indexes = image.layers();
    List<LayerChanges> changes = new ArrayList<>();
    MergedTree tree = MergedTree.of(indexes, changes);
    Set<Long> alive = new HashSet<>();
    for (TreeNode n : tree.nodes().values()) {
      if (n.inode() != 0) {
        alive.add(n.inode());
      }
    }
    Map<String, List<Integer>> wastedLayers = new TreeMap<>();
    Map<String, Long> wastedBytesByPath = new TreeMap<>();
    ImmutableList.Builder<LayerReport> reports = ImmutableList.builder();
    for (int i = 0; i < indexes.size(); i++) {
      long fileBytes = 0;
      long wasted = 0;
      for (TreeNode n : filesOf(changes.get(i))) {
        fileBytes += n.size();
        if (!alive.contains(n.inode())) {
          wasted += n.size();
          wastedLayers.computeIfAbsent(n.path(), p -> new ArrayList<>()).add(i + 1);
          wastedBytesByPath.merge(n.path(), n.size(), Long::sum);
        }
      }
      reports.add(new LayerReport(i + 1, image.manifest().layers().get(i), indexes.get(i), image.layerHistory(i),
          changes.get(i), fileBytes, wasted));
    }
    List<WastedFile> files = new ArrayList<>();
    for (var e : wastedLayers.entrySet()) {
      files.add(new WastedFile(e.getKey(), ImmutableList.copyOf(e.getValue()), wastedBytesByPath.get(e.getKey())));
    }
    files.sort(Comparator.comparingLong(WastedFile::bytes).reversed()
        .thenComparing(WastedFile::path, Names.BYTE_ORDER));
    return new ImageReport(image, reports.build(), ImmutableList.copyOf(files), tree);
  }

  /** The regular-file entries a layer wrote, added or modified: each holds its file's bytes. */
  private static List<TreeNode> filesOf(LayerChanges c) {
    List<TreeNode> out = new ArrayList<>();
    for (List<TreeNode> list : List.of(c.added(), c.modified())) {
      for (TreeNode n : list) {
        if (n.entry().kind() == EntryKind.FILE) {
          out.add(n);
        }
      }
    }
    return out;
  }

  public InspectedImage image() {
    return image;
  }

  /** Returns one report per layer, bottom first. */
  public ImmutableList<LayerReport> layers() {
    return layers;
  }

  /** Returns the paths whose bytes are wasted, most bytes first. */
  public ImmutableList<WastedFile> wastedFiles() {
    return wastedFiles;
  }

  /** Returns the final merged tree. */
  public MergedTree tree() {
    return tree;
  }

  /** Returns the regular-file bytes of all layers. */
  public long fileBytes() {
    return layers.stream().mapToLong(LayerReport::fileBytes).sum();
  }

  /** Returns the bytes of all layers that the final tree does not show. */
  public long wastedBytes() {
    return layers.stream().mapToLong(LayerReport::wastedBytes).sum();
  }

  /** Returns 1 - wasted / file bytes; 1 for an image without file bytes. */
  public double efficiency() {
    long total = fileBytes();
    return total == 0 ? 1.0 : 1.0 - (double) wastedBytes() / total;
  }
}
