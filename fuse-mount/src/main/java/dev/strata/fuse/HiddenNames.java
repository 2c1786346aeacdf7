package dev.strata.fuse;

import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * libfuse's hidden names, as the union answers them. A path filesystem is never told of a file
 * by anything but its path, so libfuse 2 keeps a file that is unlinked or renamed over while
 * open by renaming it to {@code .fuse_hidden<node><counter>} in its directory, reaches it by
 * that path until its last close and then unlinks that path. The union removes the name at
 * once instead, as the kernel's overlay does (nothing in the upper, a listing or a commit), and
 * answers the hidden path with the removed node, so that fstat, fchmod, fchown, futimens,
 * f*xattr and reopening through /proc/self/fd work by path. A hidden path is keyed by its
 * directory's node, so that it survives a rename of that directory.
 */
final class HiddenNames {
  /** hidden_name() in libfuse 2.9's fuse.c: the node id and a counter, eight hex digits each. */
  private static final Pattern NAME = Pattern.compile("\\.fuse_hidden[0-9a-f]{16}");

  private record Key(long parent, String name) {}

  private final ConcurrentHashMap<Key, Long> nodes = new ConcurrentHashMap<>();

  /** Whether {@code name} has the form of a name libfuse hides a file under. */
  static boolean isHiddenName(String name) {
    return NAME.matcher(name).matches();
  }

  /** Records that {@code name} in directory node {@code parent} is now removed node {@code node}. */
  void hide(long parent, String name, long node) {
    nodes.put(new Key(parent, name), node);
  }

  /** The node a hidden name stands for, or null. */
  Long node(long parent, String name) {
    return nodes.get(new Key(parent, name));
  }

  /** Whether {@code node} is reached by a hidden name. */
  boolean isHidden(long node) {
    return nodes.containsValue(node);
  }

  /** Drops a hidden name (libfuse unlinks it at the last close); returns whether it was one. */
  boolean drop(long parent, String name) {
    return nodes.remove(new Key(parent, name)) != null;
  }

  /** Drops the hidden names of {@code node}: closed when libfuse had no path left to unlink. */
  void dropNode(long node) {
    nodes.values().removeIf(n -> n == node);
  }
}
