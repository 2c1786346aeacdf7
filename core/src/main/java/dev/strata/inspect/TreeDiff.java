package dev.strata.inspect;

import com.google.common.collect.ImmutableList;
import dev.strata.layer.EntryKind;
import dev.strata.layer.LayerEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The difference between two trees, path by path. A path is changed when its type, content
 * (sha256, not size or time), link target, device numbers, mode, owner or xattrs differ;
 * modification times are ignored, as two builds of the same files differ in nothing else.
 *
 * @param added paths only the second tree shows (nodes of the second tree)
 * @param changed paths both show, as the second tree holds them, each with what differs
 * @param deleted paths only the first tree shows (nodes of the first tree)
 */
public record TreeDiff(ImmutableList<TreeNode> added, ImmutableList<Change> changed, ImmutableList<TreeNode> deleted) {

  /** A path both trees show, differently. */
  public record Change(TreeNode from, TreeNode to, ImmutableList<String> what) {}

  /** Compares {@code from} with {@code to}. */
  public static TreeDiff of(Map<String, TreeNode> from, Map<String, TreeNode> to) {
    List<TreeNode> added = new ArrayList<>();
    List<Change> changed = new ArrayList<>();
    List<TreeNode> deleted = new ArrayList<>();
    for (TreeNode a : from.values()) {
      if (!to.containsKey(a.path())) {
        deleted.add(a);
      }
    }
    for (TreeNode b : to.values()) {
      TreeNode a = from.get(b.path());
      if (a == null) {
        added.add(b);
        continue;
      }
      ImmutableList<String> what = differences(a, b);
      if (!what.isEmpty()) {
        changed.add(new Change(a, b, what));
      }
    }
    return new TreeDiff(ImmutableList.copyOf(added), ImmutableList.copyOf(changed), ImmutableList.copyOf(deleted));
  }

  /** Returns the names of what differs between two nodes at one path: type, content, target, ... */
  static ImmutableList<String> differences(TreeNode a, TreeNode b) {
    ImmutableList.Builder<String> what = ImmutableList.builder();
    if (kind(a) != kind(b)) {
      return ImmutableList.of("type");
    }
    LayerEntry x = a.entry();
    LayerEntry y = b.entry();
    if (x == null || y == null) {
      // An implied directory has no metadata to compare.
      return ImmutableList.of();
    }
    if (!Objects.equals(x.object(), y.object())) {
      what.add("content");
    }
    if (x.kind() == EntryKind.SYMLINK && !Objects.equals(x.linkTarget(), y.linkTarget())) {
      what.add("target");
    }
    if (x.devMajor() != y.devMajor() || x.devMinor() != y.devMinor()) {
      what.add("device");
    }
    if (x.mode() != y.mode()) {
      what.add("mode");
    }
    if (x.uid() != y.uid() || x.gid() != y.gid()) {
      what.add("owner");
    }
    if (!x.xattrs().equals(y.xattrs())) {
      what.add("xattrs");
    }
    return what.build();
  }

  /** A hard link is a regular file under another name: compare it as one. */
  private static EntryKind kind(TreeNode n) {
    if (n.entry() == null) {
      return EntryKind.DIRECTORY;
    }
    return n.entry().kind() == EntryKind.HARDLINK ? EntryKind.FILE : n.entry().kind();
  }
}
