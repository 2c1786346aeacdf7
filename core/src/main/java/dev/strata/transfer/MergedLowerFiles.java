package dev.strata.transfer;

import dev.strata.layer.EntryKind;
import dev.strata.layer.LayerEntry;
import dev.strata.layer.LayerIndex;
import dev.strata.layer.LowerFiles;
import dev.strata.layer.Paths;
import java.util.List;

/**
 * The regular files that the layers below show, for hard links that point into them: looked
 * up top-down, stopping at a whiteout of the path or of a parent, or an opaque parent.
 */
public final class MergedLowerFiles implements LowerFiles {
  private final List<LayerIndex> bottomFirst;

  public MergedLowerFiles(List<LayerIndex> bottomFirst) {
    this.bottomFirst = bottomFirst;
  }

  @Override
  public LayerEntry regularFile(String path) throws java.io.IOException {
    for (int i = bottomFirst.size() - 1; i >= 0; i--) {
      LayerIndex layer = bottomFirst.get(i);
      LayerEntry e = layer.get(path);
      if (e != null) {
        return e.kind() == EntryKind.FILE || e.kind() == EntryKind.HARDLINK ? e : null;
      }
      if (hidden(layer, path)) {
        return null;
      }
    }
    return null;
  }

  private static boolean hidden(LayerIndex layer, String path) throws java.io.IOException {
    for (String p = path; !p.isEmpty(); p = Paths.parent(p)) {
      if (layer.get(Paths.join(Paths.parent(p), LayerEntry.WHITEOUT_PREFIX + Paths.name(p))) != null) {
        return true;
      }
      if (!p.equals(path) && layer.get(Paths.join(p, LayerEntry.OPAQUE_MARKER)) != null) {
        return true;
      }
    }
    return false;
  }
}
