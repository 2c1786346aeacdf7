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
  /** The roots of the lower layers, read once (see {@link #lowerRoots}). */
  private volatile List<LowerRef> roots;

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
    Node cached = parent.child(name);
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
    if (!r.lowers().isEmpty() && name.equals(r.lowers().get(0).entry().name())) {
      name = r.lowers().get(0).entry().name(); // one copy of the name, not two, per node
    }
    Node node = new Node(stack.inodes.nextId(), ino, r.type(), parent, name, r.upper(), r.lowers());
    node.metacopy = r.metacopy();
    node.index = r.index();
    stack.inodes.register(node);
    parent.putChild(name, node);
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
   * Walks the layers of a directory's chain top-down for a name (ovl_lookup's loop over the
   * lower layers): a whiteout ends the walk with nothing; a non-directory ends it with itself,
   * unless directories above hide it; directories merge until an opaque one. A redirect (the
   * upper's, or one met on the way) changes what the layers below are asked for. Only lower
   * layers are read, so the answer never changes.
   */
  private LowerCache.Below below(List<LowerRef> chain, String name, String redirect) throws IOException {
    Wanted wanted = new Wanted(redirect == null ? name : Wanted.checked(redirect));
    boolean fromRoots = wanted.absolute();
    List<LowerRef> layers = fromRoots ? lowerRoots(-1) : chain;
    List<LowerRef> found = new ArrayList<>();
    for (int i = 0; i < layers.size() && !wanted.stop; i++) {
      LowerRef dir = layers.get(i);
      LowerRef here = find(dir.layer(), dir.path(), wanted);
      if (here != null) {
        if (!here.entry().isDirectory()) {
          return new LowerCache.Below(here, List.of());
        }
        found.add(here);
      }
      if (!fromRoots && wanted.absolute()) {
        // An absolute redirect is looked up from the roots of the layers below, not only in the
        // layers that hold the parent (ovl_lookup switches to the root's lower stack).
        fromRoots = true;
        layers = lowerRoots(dir.layer());
        i = -1;
      }
    }
    return found.isEmpty() ? LowerCache.Below.NOTHING : new LowerCache.Below(null, List.copyOf(found));
  }

  /**
   * Looks in one layer for what a lookup wants (ovl_lookup_layer): a name in the directory
   * {@code dir}, or an absolute path from the layer's root one component at a time, so that
   * what the layer holds on the way counts (a whiteout or a file ends the search, an opaque
   * directory ends it below this layer, a redirected one rewrites the path for the layers
   * below). Returns what the layer holds there, or null.
   */
  private LowerRef find(int layer, String dir, Wanted wanted) throws IOException {
    LowerLayer lower = stack.lowers.get(layer);
    if (!wanted.absolute()) {
      String path = wanted.in(dir);
      LowerEntry e = lower.statChecked(path);
      return e == null ? null : meet(layer, path, e, wanted, 0, wanted.name.length(), true);
    }
    String at = "";
    int start = 1;
    while (true) {
      int slash = wanted.name.indexOf('/', start);
      int end = slash < 0 ? wanted.name.length() : slash;
      // Counted from the end: a redirect on the way rewrites what comes before, never after.
      int after = wanted.name.length() - end;
      String component = wanted.name.substring(start, end);
      String path = at.isEmpty() ? component : at + "/" + component;
      LowerEntry e = lower.statChecked(path);
      LowerRef here = e == null ? null : meet(layer, path, e, wanted, start, end, slash < 0);
      if (slash < 0 || here == null) {
        return here;
      }
      at = path;
      start = wanted.name.length() - after + 1;
    }
  }

  /**
   * What one entry of a layer means for a lookup (ovl_lookup_single); {@code start} and
   * {@code end} delimit its component in the wanted name.
   */
  private static LowerRef meet(int layer, String path, LowerEntry e, Wanted wanted, int start, int end, boolean last)
      throws ErrnoException {
    if (e.type() == FileType.WHITEOUT) {
      wanted.stop = true;
      return null;
    }
    if (!e.isDirectory()) {
      if (wanted.dir || !last) {
        // A file below a directory is hidden by it; a file on the way holds nothing below.
        wanted.stop = true;
        return null;
      }
      return new LowerRef(layer, path, e);
    }
    if (last) {
      wanted.dir = true;
    }
    if (e.opaque()) {
      wanted.stop = true;
    } else if (e.redirect() != null) {
      wanted.redirect(e.redirect(), start, end);
    }
    return new LowerRef(layer, path, e);
  }

  /**
   * Where the data of a metadata-only file lies (a kernel metacopy file, at {@code path} of
   * layer {@code layer}, with its redirect or null): the kernel's lookup goes on below such a
   * file, to the path its redirect names or else to its own, and takes the first regular file
   * there (itself metadata-only, maybe: its own layer then looks further). EIO if a whiteout, a
   * directory or nothing is there instead, as the kernel answers.
   */
  LowerRef lowerData(int layer, String path, String redirect) throws IOException {
    // Walked from the root of its own layer, the file's path picks up the redirects of its
    // directories there, as the lookup that reached the file did.
    Wanted wanted = new Wanted("/" + path);
    LowerRef self = find(layer, "", wanted);
    if (self != null && self.entry().type() == FileType.REGULAR) {
      if (redirect != null) {
        wanted.redirect(redirect, wanted.name.lastIndexOf('/') + 1, wanted.name.length());
      }
      for (int below = layer + 1; below < stack.lowers.size() && !wanted.stop; below++) {
        LowerRef data = find(below, "", wanted);
        if (data != null) {
          if (data.entry().type() == FileType.REGULAR) {
            return data;
          }
          break;
        }
      }
    }
    throw new ErrnoException(Errno.EIO, "/" + path + " in " + stack.lowers.get(layer).describe()
        + " holds metadata only and no lower layer holds its data");
  }

  /**
   * What a lookup asks each layer for on its way down (the kernel's ovl_lookup_data): a name in
   * the directories of the parent's chain or, after an absolute redirect, a path from the roots
   * of the layers; the redirects it meets rewrite it for the layers below.
   */
  private static final class Wanted {
    String name;
    /** Nothing below can show: a whiteout, an opaque directory or a file was met. */
    boolean stop;
    /** A directory was found: a non-directory below it is hidden. */
    boolean dir;
    private String parent;
    private String path;

    Wanted(String name) {
      this.name = name;
    }

    boolean absolute() {
      return name.startsWith("/");
    }

    /**
     * The wanted name in {@code dir}: layers mostly hold a directory at the same path, so the
     * path is built once and reused (with its cached hash) while they share it.
     */
    String in(String dir) {
      if (path == null || !dir.equals(parent)) {
        path = dir.isEmpty() ? name : dir + "/" + name;
        parent = dir;
      }
      return path;
    }

    /**
     * Follows a redirect met at the component [start, end) of the name (ovl_check_redirect): an
     * absolute one replaces everything up to it, a relative one the component alone.
     */
    void redirect(String to, int start, int end) throws ErrnoException {
      checked(to);
      if (to.startsWith("/")) {
        name = to + name.substring(end);
        // Below an opaque directory met on the way, an absolute redirect still reaches down.
        stop = false;
      } else {
        name = name.substring(0, start) + to + name.substring(end);
      }
      path = null;
    }

    /** A redirect is a name, or a path from the root ("/a/b"); anything else is refused (EIO). */
    static String checked(String redirect) throws ErrnoException {
      if (!LowerPaths.isRedirect(redirect)) {
        throw new ErrnoException(Errno.EIO, "invalid overlay redirect '" + Names.printable(redirect) + "'");
      }
      return redirect;
    }
  }

  /** The roots of the layers below {@code layer}, top first, down to an opaque one. */
  private List<LowerRef> lowerRoots(int layer) throws IOException {
    List<LowerRef> all = roots;
    if (all == null) {
      List<LowerRef> found = new ArrayList<>();
      for (int i = 0; i < stack.lowers.size(); i++) {
        LowerEntry e = stack.lowers.get(i).stat("");
        if (e == null || !e.isDirectory()) {
          continue;
        }
        found.add(new LowerRef(i, "", e));
        if (e.opaque()) {
          break;
        }
      }
      all = List.copyOf(found);
      roots = all; // the layers never change: racing threads build equal lists
    }
    int from = 0;
    while (from < all.size() && all.get(from).layer() <= layer) {
      from++;
    }
    return from == 0 ? all : all.subList(from, all.size());
  }

  /** The data origin of a metacopy upper file: what the same name (or its redirect) is below. */
  private List<LowerRef> lowerFile(Node parent, String name, String redirect) throws IOException {
    LowerCache.Below below = redirect == null
        ? stack.lowerCache.below(parent.lowers, name, this::below)
        : below(parent.lowers, name, redirect);
    LowerRef file = below.file();
    return file != null && file.entry().type() == FileType.REGULAR ? List.of(file) : List.of();
  }

  /**
   * The absolute redirect that names {@code node} for the layers below once it moves, as the
   * kernel writes it (ovl_get_redirect): its path in the union, each name the upper holds with a
   * redirect standing for that redirect. A lower layer's redirects stay out: a lookup from the
   * roots meets them on its way down, and a path spelled past them would miss whatever a layer
   * between holds there (the whiteout a rename left, say).
   */
  String redirectOf(Node node) throws IOException {
    StringBuilder path = new StringBuilder();
    for (Node n = node; n.parent != null; n = n.parent) {
      String redirect = n.upper && stack.upper != null ? stack.upper.redirect(n.path()) : null;
      if (redirect != null && redirect.startsWith("/")) {
        return redirect + path;
      }
      path.insert(0, "/" + (redirect != null ? redirect : n.name));
    }
    return path.toString();
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
    if (attrs != null && stack.upper.isOpaque("")) {
      return new Resolved(FileType.DIRECTORY, true, false, List.of(), attrs);
    }
    return new Resolved(FileType.DIRECTORY, attrs != null, false, lowerRoots(-1), attrs);
  }
}
