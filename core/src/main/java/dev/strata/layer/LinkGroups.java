package dev.strata.layer;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;

/**
 * The hard-link groups of a layer: which names are one inode. A link joins the inode of what
 * its target path held when the link was read: a file of the layer, the inode of another link,
 * or (for a path no earlier entry of the layer holds) the file below, one inode for every link
 * to that path. Links are resolved in tar order, so a link to a link finds its target's inode
 * already known, however long the chain; groups are numbered in the order their first link
 * comes, from 1.
 *
 * <p>The root of a group is its first name in tar order: the file, or the first link to a file
 * below. Its entry is what every name of the group shows, and its position is the inode's
 * identity.
 */
final class LinkGroups implements Closeable {
  /** Link records sort by the link's position: their first four bytes, big-endian. */
  static final Comparator<byte[]> BY_POSITION = (a, b) -> Integer.compareUnsigned(TreeWalk.getInt(a, 0),
      TreeWalk.getInt(b, 0));

  private static final int IN_LAYER = 0;
  private static final int BELOW = 1;
  private static final int CHAIN = 2;

  private final IntArray rootOf;
  private final IntArray groupOf;
  private IntArray groupRoot;
  private IntArray groupCount;
  private int groups;

  private LinkGroups(long entries, long links, Path scratch) throws IOException {
    rootOf = new IntArray(entries, scratch);
    groupOf = new IntArray(entries, scratch);
    groupRoot = new IntArray(links + 1, scratch);
    groupCount = new IntArray(links + 1, scratch);
  }

  /** A link at {@code position} to the entry at {@code target} (a file or a link) of the layer. */
  static byte[] inLayer(int position, int target, EntryKind kind) {
    return record(position, kind == EntryKind.FILE ? IN_LAYER : CHAIN, target);
  }

  /** A link at {@code position} to the file below that the link at {@code first} named first. */
  static byte[] below(int position, int first) {
    return record(position, BELOW, first);
  }

  private static byte[] record(int position, int type, int ref) {
    byte[] r = new byte[9];
    TreeWalk.putInt(r, 0, position);
    r[4] = (byte) type;
    TreeWalk.putInt(r, 5, ref);
    return r;
  }

  /** Resolves the sorted link records of a layer of {@code entries} entries. */
  static LinkGroups resolve(ExternalSort.Cursor sorted, long entries, long links, Path scratch) throws IOException {
    LinkGroups g = new LinkGroups(entries, links, scratch);
    for (byte[] r = sorted.next(); r != null; r = sorted.next()) {
      int position = TreeWalk.getInt(r, 0);
      int ref = TreeWalk.getInt(r, 5);
      // A link to a link shares its inode, resolved already: it came earlier in the tar.
      int root = r[4] == CHAIN ? g.rootOf.get(ref) : ref;
      g.rootOf.set(position, root);
      int group = g.groupOf.get(root);
      if (group == 0) {
        group = ++g.groups;
        g.groupOf.set(root, group);
        g.groupRoot.set(group, root);
        g.groupCount.set(group, 1);
      }
      g.groupOf.set(position, group);
      if (position != root) {
        g.groupCount.set(group, g.groupCount.get(group) + 1);
      }
    }
    return g;
  }

  /** Returns the group of the entry at {@code position}, 0 for none. */
  int group(long position) {
    return groupOf.get(position);
  }

  /** Returns whether the entry at {@code position} is the root of its group. */
  boolean isRoot(long position) {
    int g = groupOf.get(position);
    return g != 0 && groupRoot.get(g) == position;
  }

  int count() {
    return groups;
  }

  int root(int group) {
    return groupRoot.get(group);
  }

  int names(int group) {
    return groupCount.get(group);
  }

  @Override
  public void close() throws IOException {
    rootOf.close();
    groupOf.close();
    groupRoot.close();
    groupCount.close();
  }
}
