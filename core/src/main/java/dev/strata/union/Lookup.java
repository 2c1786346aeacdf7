package dev.strata.union;

import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.HostPath;
import dev.strata.host.Names;
import dev.strata.host.Stat;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Resolves a name in a directory through the layers, top-down (overlayfs namei.c): the upper
 * first, then each lower layer that holds the parent directory. A whiteout ends the search
 * with nothing; a non-directory ends it with itself; directories merge until an opaque one.
 */
final class Lookup {
  static final int NAME_MAX = Names.NAME_MAX;

  private final Stack stack;

  Lookup(Stack stack) {
    this.stack = stack;
  }

  /** What a name resolves to. */
  record Resolved(FileType type, boolean upper, boolean metacopy, List<LowerRef> lowers, Stat upperAttrs,
      HostPath index) {
    Resolved(FileType type, boolean upper, boolean metacopy, List<LowerRef> lowers, Stat upperAttrs) {
      this(type, upper, metacopy, lowers, upperAttrs, null);
    }
  }

  /** Checks a name given by a caller: not empty, no slash, not . or .., at most NAME_MAX bytes. */
  static void checkName(String name) throws ErrnoException {
    if (name.isEmpty() || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
      throw new ErrnoException(Errno.EINVAL, "invalid name '" + Names.printable(name) + "'");
    }
    int length;
    try {
      length = Names.length(name);
    } catch (IllegalArgumentException e) {
      throw new ErrnoException(Errno.EINVAL, e.getMessage());
    }
    if (length > NAME_MAX) {
      throw new ErrnoException(Errno.ENAMETOOLONG, Names.printable(name));
    }
  }

  /** Returns the node for {@code name} in {@code parent}, creating it; null if nothing is there. */
  Node lookup(Node parent, String name) throws IOException {
    if (!parent.isDirectory()) {
      throw new ErrnoException(Errno.ENOTDIR, "/" + parent.path());
    }
    if (name.equals(".")) {
      return parent;
    }
    if (name.equals("..")) {
      return parent.parent == null ? parent : parent.parent;
    }
    checkName(name);
    Node cached = parent.children.get(name);
    if (cached != null) {
      return cached;
    }
    Resolved r = resolve(parent, name);
    if (r == null) {
      return null;
    }
    return attach(parent, name, r);
  }

  /** Makes a node for a resolved name and caches it under its parent. */
  Node attach(Node parent, String name, Resolved r) {
    long ino = stack.inodes.ino(key(r));
    Node node = new Node(stack.inodes.nextId(), ino, r.type(), parent, name, r.upper(), r.lowers());
    node.metacopy = r.metacopy();
    node.index = r.index();
    stack.inodes.register(node);
    parent.children.put(name, node);
    return node;
  }

  /** The identity an inode number is kept under: the origin below if any, else the upper file. */
  static Object key(Resolved r) {
    if (!r.lowers().isEmpty()) {
      LowerRef top = r.lowers().get(0);
      return new InodeTable.LowerKey(top.layer(), top.entry().identity());
    }
    return new InodeTable.UpperKey(r.upperAttrs().ino());
  }

  /** Resolves {@code name} in {@code parent} without touching the cache. */
  Resolved resolve(Node parent, String name) throws IOException {
    Stat attrs = null;
    String redirect = null;
    if (parent.upper && stack.upper != null) {
      // Built only here: a node's path is a walk to the root, and most lookups of a container's
      // tree are in directories the upper does not hold.
      String path = parent.childPath(name);
      attrs = stack.upper.stat(path);
      if (stack.upper.whitedOut(path, attrs)) {
        return null;
      }
      if (attrs != null) {
        FileType type = FileType.ofMode(attrs.mode());
        if (type != FileType.DIRECTORY) {
          if (type == FileType.REGULAR && stack.upper.isMetacopy(path)) {
            List<LowerRef> origin = lowerFile(parent, name, stack.upper.redirect(path));
            return new Resolved(type, true, !origin.isEmpty(), origin, attrs);
          }
          return new Resolved(type, true, false, List.of(), attrs);
        }
        if (stack.upper.isOpaque(path)) {
          return new Resolved(type, true, false, List.of(), attrs);
        }
        redirect = stack.upper.redirect(path);
      }
    }
    LowerCache.Below below = redirect == null
        ? stack.lowerCache.below(parent.lowers, name, this::below)
        : below(parent.lowers, name, redirect);
    if (below.file() != null) {
      if (attrs == null) {
        LowerRef ref = below.file();
        return new Resolved(ref.entry().type(), false, false, List.of(ref), null, stack.indexOf(ref));
      }
      below = LowerCache.Below.NOTHING; // an upper directory hides a lower non-directory
    }
    if (attrs == null && below.dirs().isEmpty()) {
      return null;
    }
    // Anything but a directory has returned above: what is left is a (merged) directory.
    return new Resolved(FileType.DIRECTORY, attrs != null, false, below.dirs(), attrs);
  }

  /** What the lower layers hold under a name of a directory whose upper has no redirect. */
  private LowerCache.Below below(List<LowerRef> chain, String name) throws IOException {
    return below(chain, name, null);
  }

  /**
   * Walks the layers of a directory's chain top-down for a name: a whiteout ends the walk with
   * nothing; a non-directory ends it with itself, unless directories above hide it; directories
   * merge until an opaque one. Only lower layers are read, so the answer never changes.
   */
  private LowerCache.Below below(List<LowerRef> chain, String name, String redirect) throws IOException {
    List<LowerRef> found = new ArrayList<>();
    List<LowerRef> layers = chain;
    if (redirect != null && redirect.startsWith("/")) {
      // An absolute redirect is looked up from the root of every layer, not only in the layers
      // that hold the new parent (ovl_lookup switches to the root's lower stack).
      layers = rootLayersBelow(-1);
    }
    // Layers mostly hold a directory at the same path: build the child's path once and reuse
    // it (and its cached hash) for every layer that shares the parent's path.
    String lastParent = null;
    String lastRedirect = null;
    String lowerPath = null;
    for (int i = 0; i < layers.size(); i++) {
      LowerRef dir = layers.get(i);
      if (lowerPath == null || !dir.path().equals(lastParent) || !java.util.Objects.equals(redirect, lastRedirect)) {
        lowerPath = lowerPath(dir.path(), name, redirect);
        lastParent = dir.path();
        lastRedirect = redirect;
      }
      LowerEntry e = stack.lowers.get(dir.layer()).statChecked(lowerPath);
      if (e == null) {
        continue;
      }
      if (e.type() == FileType.WHITEOUT) {
        break;
      }
      if (!e.isDirectory()) {
        if (found.isEmpty()) {
          return new LowerCache.Below(new LowerRef(dir.layer(), lowerPath, e), List.of());
        }
        break; // a file below a directory is hidden by it
      }
      found.add(new LowerRef(dir.layer(), lowerPath, e));
      if (e.opaque()) {
        break;
      }
      if (e.redirect() != null) {
        redirect = e.redirect();
        if (redirect.startsWith("/")) {
          layers = rootLayersBelow(dir.layer());
          i = -1;
        }
      }
    }
    return found.isEmpty() ? LowerCache.Below.NOTHING : new LowerCache.Below(null, List.copyOf(found));
  }

  /** The root's directories in the layers below {@code layer}, top first. */
  private List<LowerRef> rootLayersBelow(int layer) throws IOException {
    List<LowerRef> out = new ArrayList<>();
    for (LowerRef r : root().lowers()) {
      if (r.layer() > layer) {
        out.add(r);
      }
    }
    return out;
  }

  /** The data origin of a metacopy upper file: the same name (or its redirect) below. */
  private List<LowerRef> lowerFile(Node parent, String name, String redirect) throws IOException {
    for (LowerRef dir : parent.lowers) {
      String lowerPath = lowerPath(dir.path(), name, redirect);
      LowerEntry e = stack.lowers.get(dir.layer()).stat(lowerPath);
      if (e == null) {
        continue;
      }
      if (e.type() == FileType.REGULAR) {
        return List.of(new LowerRef(dir.layer(), lowerPath, e));
      }
      break;
    }
    if (redirect != null && redirect.startsWith("/")) {
      // An absolute redirect names the origin wherever it is, not only under this parent.
      String abs = redirect.substring(1);
      for (int layer = 0; layer < stack.lowers.size(); layer++) {
        LowerEntry e = stack.lowers.get(layer).stat(abs);
        if (e != null && e.type() == FileType.REGULAR) {
          return List.of(new LowerRef(layer, abs, e));
        }
      }
    }
    return List.of();
  }

  /** The path of a child in a lower layer, following a redirect (absolute, or a sibling name). */
  static String lowerPath(String parentInLayer, String name, String redirect) {
    if (redirect != null) {
      if (redirect.startsWith("/")) {
        return redirect.substring(1);
      }
      name = redirect;
    }
    return parentInLayer.isEmpty() ? name : parentInLayer + "/" + name;
  }

  /** Resolves the root: the upper root and every lower root down to an opaque one. */
  Resolved root() throws IOException {
    Stat attrs = stack.upper == null ? null : stack.upper.stat("");
    List<LowerRef> found = new ArrayList<>();
    if (attrs != null && stack.upper.isOpaque("")) {
      return new Resolved(FileType.DIRECTORY, true, false, List.of(), attrs);
    }
    for (int layer = 0; layer < stack.lowers.size(); layer++) {
      LowerEntry e = stack.lowers.get(layer).stat("");
      if (e == null || !e.isDirectory()) {
        continue;
      }
      found.add(new LowerRef(layer, "", e));
      if (e.opaque()) {
        break;
      }
    }
    return new Resolved(FileType.DIRECTORY, attrs != null, false, List.copyOf(found), attrs);
  }
}
