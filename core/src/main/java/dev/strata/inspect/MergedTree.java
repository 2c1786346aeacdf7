package dev.strata.inspect;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedMap;
import dev.strata.host.Names;
import dev.strata.layer.EntryKind;
import dev.strata.layer.LayerEntry;
import dev.strata.layer.LayerIndex;
import dev.strata.layer.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The tree that a stack of layers shows, built one layer at a time with overlay semantics: a
 * layer's whiteouts and opaque markers hide what the layers below hold (never what the layer
 * itself holds), a non-directory hides a directory below and everything in it, a directory
 * over a directory merges with it.
 */
public final class MergedTree {
  private final TreeMap<String, TreeNode> nodes = new TreeMap<>(Names.BYTE_ORDER);
  private long nextInode = 1;
  private int layers;

  public MergedTree() {
    nodes.put("", new TreeNode("", null, 0, 0));
  }

  /** Returns the tree of {@code layers} (bottom first) and, for each, what it changed. */
  public static MergedTree of(List<LayerIndex> layers, List<LayerChanges> changes) {
    MergedTree tree = new MergedTree();
    for (LayerIndex layer : layers) {
      LayerChanges c = tree.apply(layer);
      if (changes != null) {
        changes.add(c);
      }
    }
    return tree;
  }

  /** Returns the paths the tree shows, in the order of their bytes. */
  public ImmutableSortedMap<String, TreeNode> nodes() {
    return ImmutableSortedMap.copyOfSorted(nodes);
  }

  /** Returns the node at {@code path}, or null. */
  public TreeNode get(String path) {
    return nodes.get(path);
  }

  /** Puts {@code layer} on top of the tree; returns what it changed. */
  public LayerChanges apply(LayerIndex layer) {
    int number = ++layers;
    Map<String, TreeNode> hidden = new LinkedHashMap<>();
    // Whiteouts act on the layers below only, wherever they stand in the tar.
    for (LayerEntry e : layer.entries()) {
      if (e.kind() == EntryKind.WHITEOUT) {
        hide(e.target(), true, hidden);
      } else if (e.kind() == EntryKind.OPAQUE) {
        hide(e.target(), false, hidden);
      }
    }
    List<TreeNode> added = new ArrayList<>();
    List<TreeNode> modified = new ArrayList<>();
    List<TreeNode> dirsAdded = new ArrayList<>();
    for (LayerEntry e : layer.entries()) {
      if (e.kind().isWhiteout()) {
        continue;
      }
      String path = e.path();
      TreeNode old = nodes.get(path);
      boolean below = old != null && old.layer() < number || hidden.containsKey(path);
      if (old != null && old.isDirectory() != (e.kind() == EntryKind.DIRECTORY)) {
        hide(path, true, hidden);
      }
      makeParents(path, number, hidden);
      TreeNode node = new TreeNode(path, e, number, inodeOf(e));
      nodes.put(path, node);
      if (e.kind() == EntryKind.DIRECTORY) {
        if (!below) {
          dirsAdded.add(node);
        }
      } else {
        (below ? modified : added).add(node);
      }
    }
    List<TreeNode> deleted = new ArrayList<>();
    List<TreeNode> dirsDeleted = new ArrayList<>();
    for (TreeNode gone : hidden.values()) {
      // Gone, or there as the other kind: a file replaced by a directory is a deleted file.
      TreeNode now = nodes.get(gone.path());
      if (now == null || now.isDirectory() != gone.isDirectory()) {
        (gone.isDirectory() ? dirsDeleted : deleted).add(gone);
      }
    }
    return new LayerChanges(ImmutableList.copyOf(added), ImmutableList.copyOf(modified),
        ImmutableList.copyOf(deleted), ImmutableList.copyOf(dirsAdded), ImmutableList.copyOf(dirsDeleted));
  }

  private long inodeOf(LayerEntry e) {
    if (e.kind() == EntryKind.HARDLINK) {
      // The target is an earlier entry of this layer or a file below: the same bytes.
      TreeNode target = nodes.get(e.linkTarget());
      if (target != null && target.inode() != 0) {
        return target.inode();
      }
      return nextInode++;
    }
    return e.kind() == EntryKind.FILE ? nextInode++ : 0;
  }

  /** Ancestors the tar does not list are directories all the same; one over a non-directory hides it. */
  private void makeParents(String path, int number, Map<String, TreeNode> hidden) {
    for (String p = Paths.parent(path); !p.isEmpty(); p = Paths.parent(p)) {
      TreeNode n = nodes.get(p);
      if (n != null && n.isDirectory()) {
        return;
      }
      if (n != null) {
        hidden.putIfAbsent(p, n);
      }
      nodes.put(p, new TreeNode(p, null, number, 0));
    }
  }

  /** Removes what is below {@code path} (and the path itself if {@code self}), noting each removed node. */
  private void hide(String path, boolean self, Map<String, TreeNode> hidden) {
    if (self && !path.isEmpty()) {
      TreeNode n = nodes.remove(path);
      if (n != null) {
        hidden.putIfAbsent(path, n);
      }
    }
    NavigableMap<String, TreeNode> under = path.isEmpty()
        ? nodes.tailMap("", false)
        : nodes.subMap(path + "/", true, path + "0", false);
    for (TreeNode n : under.values()) {
      hidden.putIfAbsent(n.path(), n);
    }
    under.clear();
  }
}
