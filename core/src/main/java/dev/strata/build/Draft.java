package dev.strata.build;

import dev.strata.host.Names;
import dev.strata.host.Stat;
import dev.strata.layer.LayerTarWriter;
import dev.strata.layer.Paths;
import dev.strata.overlay.Whiteouts;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The tree of a layer being built: what it adds, what it deletes from the layers below
 * (whiteouts) and which directories it replaces whole (opaque), kept as the later call says.
 * Written in one order whatever the order of the calls: depth first, each directory's names by
 * their bytes, so the same content gives the same tar.
 */
final class Draft implements EntrySink {
  /** What an entry is. */
  enum Kind { DIRECTORY, FILE, SYMLINK, HARDLINK, FIFO, CHAR_DEVICE, BLOCK_DEVICE }

  /** Opens a file's bytes. */
  @FunctionalInterface
  interface Opener {
    InputStream open() throws IOException;
  }

  /** The bytes of a file, opened when the layer is written. */
  interface Content {
    long size();

    InputStream open() throws IOException;

    /** What stat(2) said of the host file these bytes are read from; null when not a host file's. */
    default Stat hostStat() {
      return null;
    }
  }

  /** One entry; a directory holds its children and the names it deletes. */
  static final class Node {
    final Kind kind;
    final FileAttributes attributes;
    final Content content;
    final String link;
    final int major;
    final int minor;
    final TreeMap<String, Node> children = new TreeMap<>(Names.BYTE_ORDER);
    final TreeSet<String> deleted = new TreeSet<>(Names.BYTE_ORDER);
    boolean opaque;

    /** A regular file of {@code size} bytes that {@code opener} opens when the file is written. */
    static Node file(FileAttributes attributes, long size, Opener opener) {
      return new Node(Kind.FILE, attributes, new Content() {
        @Override
        public long size() {
          return size;
        }

        @Override
        public InputStream open() throws IOException {
          return opener.open();
        }
      }, null, 0, 0);
    }

    /** The host file {@code st} describes, which {@code opener} opens when the file is written. */
    static Node hostFile(FileAttributes attributes, Stat st, Opener opener) {
      return new Node(Kind.FILE, attributes, new Content() {
        @Override
        public long size() {
          return st.size();
        }

        @Override
        public InputStream open() throws IOException {
          return opener.open();
        }

        @Override
        public Stat hostStat() {
          return st;
        }
      }, null, 0, 0);
    }

    /** A second name of the file at {@code target}. */
    static Node hardlink(FileAttributes attributes, String target) {
      return new Node(Kind.HARDLINK, attributes, null, target, 0, 0);
    }

    Node(Kind kind, FileAttributes attributes, Content content, String link, int major, int minor) {
      this.kind = kind;
      this.attributes = attributes;
      this.content = content;
      this.link = link;
      this.major = major;
      this.minor = minor;
    }
  }

  private final Node root = new Node(Kind.DIRECTORY, FileAttributes.DIRECTORY, null, null, 0, 0);
  /** The root's own attributes when the layer sets them; else the layer leaves the root as it is. */
  private FileAttributes rootAttributes;
  private boolean empty = true;
  /** The attributes of a directory the layers below hold at a path; null where they hold none. */
  private java.util.function.Function<String, FileAttributes> below = p -> null;

  /**
   * Takes the directories this layer needs but was not given from {@code existing} where the
   * layers below hold them (as a copy-up keeps a directory's owner and mode), the default where
   * they do not.
   */
  Draft over(java.util.function.Function<String, FileAttributes> existing) {
    this.below = existing;
    return this;
  }

  /** Makes the directory {@code path} and those above it that the layer lacks, as {@code mkdir -p}. */
  void ensureDirectory(String path) {
    empty = false;
    directory(path);
  }

  boolean isEmpty() {
    return empty;
  }

  /**
   * Puts {@code node} at {@code path} ("" is the root, which only a directory may replace),
   * making the directories above it that the layer does not have yet. A directory put where
   * the layer deleted the name replaces the directory below whole, as a container's
   * {@code rm -r d; mkdir d} does; its children a layer added before stay only if it was there.
   */
  @Override
  public void put(String path, Node node) {
    empty = false;
    if (path.isEmpty()) {
      if (node.kind != Kind.DIRECTORY) {
        throw new IllegalArgumentException("the root of an image must be a directory");
      }
      rootAttributes = node.attributes;
      return;
    }
    Node parent = directory(Paths.parent(path));
    String name = Paths.name(path);
    Node old = parent.children.get(name);
    boolean wasDeleted = parent.deleted.remove(name);
    if (node.kind == Kind.DIRECTORY && old != null && old.kind == Kind.DIRECTORY) {
      node.children.putAll(old.children);
      node.deleted.addAll(old.deleted);
      node.opaque = old.opaque;
    }
    if (node.kind == Kind.DIRECTORY && wasDeleted) {
      node.opaque = true;
    }
    parent.children.put(name, node);
  }

  /** Deletes {@code path} from the layers below and from what this layer added. */
  void delete(String path) {
    if (path.isEmpty()) {
      throw new IllegalArgumentException("cannot delete the root of an image");
    }
    empty = false;
    Node parent = directory(Paths.parent(path));
    String name = Paths.name(path);
    parent.children.remove(name);
    if (!parent.opaque) {
      parent.deleted.add(name);
    }
  }

  /** Makes the directory {@code path} hide everything the layers below hold in it. */
  void opaque(String path) {
    empty = false;
    Node dir = directory(path);
    dir.opaque = true;
    dir.deleted.clear();
  }

  /** Returns the directory at {@code path}, making it and its parents, with the default attributes, where absent. */
  private Node directory(String path) {
    Node dir = root;
    if (path.isEmpty()) {
      return dir;
    }
    StringBuilder walked = new StringBuilder();
    for (String name : path.split("/")) {
      walked.append(walked.length() == 0 ? "" : "/").append(name);
      Node next = dir.children.get(name);
      if (next == null) {
        FileAttributes existing = dir.deleted.contains(name) ? null : below.apply(walked.toString());
        next = new Node(Kind.DIRECTORY, existing != null ? existing : FileAttributes.DIRECTORY, null, null, 0, 0);
        dir.children.put(name, next);
        // Deleted, then written into: the directory below is gone, this one replaces it whole.
        next.opaque = dir.deleted.remove(name);
      } else if (next.kind != Kind.DIRECTORY) {
        throw new IllegalArgumentException("'" + Names.printable(path) + "': '" + Names.printable(name)
            + "' is not a directory in this layer");
      }
      dir = next;
    }
    return dir;
  }

  /**
   * Names of hard-linked files written out of the order they were given: a link that sorts
   * before its target is written as the file, and the target then as a link to it.
   */
  private final java.util.Map<String, String> movedTo = new java.util.HashMap<>();
  private final java.util.Set<String> written = new java.util.HashSet<>();

  private Node find(String path) {
    Node n = root;
    for (String name : path.split("/")) {
      n = n.children.get(name);
      if (n == null) {
        return null;
      }
    }
    return n;
  }

  /** Writes the tree as a layer tar, times that are null being {@code time}. */
  void write(LayerTarWriter tar, Instant time) throws IOException {
    movedTo.clear();
    written.clear();
    if (rootAttributes != null) {
      tar.directory(".", meta(rootAttributes, time));
    }
    if (root.opaque) {
      tar.opaque("");
    }
    children(tar, root, "", time);
  }

  private void children(LayerTarWriter tar, Node dir, String path, Instant time) throws IOException {
    TreeMap<String, Node> ordered = new TreeMap<>(Names.BYTE_ORDER);
    ordered.putAll(dir.children);
    for (String gone : dir.deleted) {
      ordered.put(Whiteouts.whiteoutName(gone), null);
    }
    for (Map.Entry<String, Node> e : ordered.entrySet()) {
      Node n = e.getValue();
      if (n == null) {
        tar.whiteout(path, Whiteouts.deletedName(e.getKey()));
        continue;
      }
      String child = Paths.join(path, e.getKey());
      written.add(child);
      LayerTarWriter.Meta meta = meta(n.attributes, time);
      switch (n.kind) {
        case DIRECTORY -> {
          tar.directory(child, meta);
          if (n.opaque) {
            tar.opaque(child);
          }
          children(tar, n, child, time);
        }
        case FILE -> {
          if (movedTo.containsKey(child)) {
            tar.hardlink(child, meta, movedTo.get(child));
          } else {
            try (InputStream in = n.content.open()) {
              tar.file(child, meta, n.content.size(), in);
            }
          }
        }
        case SYMLINK -> tar.symlink(child, meta, n.link);
        case HARDLINK -> {
          Node target = find(n.link);
          if (target != null && target.kind == Kind.FILE && !written.contains(n.link)) {
            // The link sorts before its file: the file's bytes go here, the file's name links back.
            try (InputStream in = target.content.open()) {
              tar.file(child, meta(target.attributes, time), target.content.size(), in);
            }
            movedTo.put(n.link, child);
          } else {
            tar.hardlink(child, meta, movedTo.getOrDefault(n.link, n.link));
          }
        }
        case FIFO -> tar.special(child, (byte) '6', meta, 0, 0);
        case CHAR_DEVICE -> tar.special(child, (byte) '3', meta, n.major, n.minor);
        case BLOCK_DEVICE -> tar.special(child, (byte) '4', meta, n.major, n.minor);
      }
    }
  }

  private static LayerTarWriter.Meta meta(FileAttributes a, Instant time) {
    Instant t = a.mtime() != null ? a.mtime() : time;
    TreeMap<String, byte[]> xattrs = new TreeMap<>(a.xattrs());
    return new LayerTarWriter.Meta(a.mode(), a.uid(), a.gid(), t.getEpochSecond(), t.getNano(), xattrs);
  }
}
