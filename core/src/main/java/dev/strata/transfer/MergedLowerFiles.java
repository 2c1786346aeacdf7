package dev.strata.transfer;

import dev.strata.layer.EntryKind;
import dev.strata.layer.LayerEntry;
import dev.strata.layer.LayerIndex;
import dev.strata.layer.LowerFiles;
import dev.strata.overlay.Whiteouts;
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
      if (Whiteouts.hides(p -> layer.get(p) != null, path)) {
        return null;
      }
    }
    return null;
  }
}
