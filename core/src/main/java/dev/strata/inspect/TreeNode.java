package dev.strata.inspect;

import dev.strata.layer.EntryKind;
import dev.strata.layer.LayerEntry;

/**
 * One path of a merged tree: the entry of the topmost layer that holds it, or none for a
 * directory that no layer lists but that entries below it imply.
 *
 * @param path the normalized path; the root is ""
 * @param entry the layer entry, or null for an implied directory
 * @param layer the 1-based number of the layer the entry comes from (0 for the implied root)
 * @param inode the file whose bytes this path shows: equal for hard links of one file, 0 for
 *     everything that holds no bytes
 */
public record TreeNode(String path, LayerEntry entry, int layer, long inode) {
  /** Returns whether this node is a directory, listed or implied. */
  public boolean isDirectory() {
    return entry == null || entry.kind() == EntryKind.DIRECTORY;
  }

  /** Returns the node's type as {@code ls -l} prints it ('h' for a hard link to an earlier name). */
  public char type() {
    return entry == null ? 'd' : entry.kind().lsType();
  }

  /** Returns the size of the bytes this path shows: a regular file's or hard link's size, else 0. */
  public long size() {
    return entry == null ? 0 : entry.size();
  }
}
