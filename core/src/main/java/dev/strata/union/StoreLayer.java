package dev.strata.union;

import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSortedMap;
import dev.strata.blob.ObjectContent;
import dev.strata.blob.ObjectStore;
import dev.strata.digest.Digest;
import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.HostFile;
import dev.strata.layer.Bytes;
import dev.strata.layer.EntryKind;
import dev.strata.layer.LayerEntry;
import dev.strata.layer.LayerIndex;
import dev.strata.layer.Paths;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A layer of the store seen as a lower layer: its index turned, once, into an immutable tree,
 * and its regular files read from the store's objects. Nothing is extracted, so owners, modes,
 * device nodes and xattrs are exact without root, and no symlink is ever resolved by the host.
 *
 * <p>The tree follows the OCI changeset rules: {@code .wh.NAME} is a whiteout of NAME,
 * {@code .wh..wh..opq} makes its directory opaque, a directory that holds entries without an
 * entry of its own is implied (its attributes come from below), and every name of a hard-linked
 * inode shows that inode's metadata and content. A whiteout of a name that this same layer
 * creates deletes only what lies below: a file of the layer wins, a directory of the layer (with
 * or without an entry of its own) becomes opaque. Whiteouts under a name that this layer makes a
 * non-directory delete nothing new (umoci writes them) and are dropped.
 */
public final class StoreLayer implements LowerLayer {
  private static final int IMPLIED_MODE = 0755;

  /** What the layer holds at one path: its entry, and the tar entry it shows (content, xattrs). */
  private record Node(LowerEntry entry, LayerEntry source) {}

  private final Digest diffId;
  private final ObjectStore objects;
  private final ImmutableMap<String, Node> nodes;
  private final ImmutableMap<String, ImmutableList<LowerEntry>> children;
  private final Set<ObjectContent> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private StoreLayer(Digest diffId, ObjectStore objects, Map<String, Node> nodes) {
    this.diffId = diffId;
    this.objects = objects;
    Map<String, List<LowerEntry>> lists = new HashMap<>();
    for (Map.Entry<String, Node> n : nodes.entrySet()) {
      if (n.getValue().entry().isDirectory()) {
        lists.computeIfAbsent(n.getKey(), k -> new ArrayList<>());
      }
    }
    ImmutableMap.Builder<String, Node> kept = ImmutableMap.builderWithExpectedSize(nodes.size());
    for (Map.Entry<String, Node> n : nodes.entrySet()) {
      String path = n.getKey();
      if (path.isEmpty()) {
        kept.put(n);
        continue;
      }
      List<LowerEntry> siblings = lists.get(Paths.parent(path));
      // Ingest refuses entries under a non-directory; this keeps such a tree unreachable anyway.
      if (siblings != null && reachable(nodes, Paths.parent(path))) {
        siblings.add(n.getValue().entry());
        kept.put(n);
      }
    }
    this.nodes = kept.buildOrThrow();
    ImmutableMap.Builder<String, ImmutableList<LowerEntry>> c = ImmutableMap.builderWithExpectedSize(lists.size());
    lists.forEach((dir, entries) -> c.put(dir, ImmutableList.copyOf(entries)));
    this.children = c.buildOrThrow();
  }

  /** Returns the layer of {@code index}, its file contents in {@code objects}. */
  public static StoreLayer open(LayerIndex index, ObjectStore objects) {
    checkNotNull(objects, "objects");
    return new StoreLayer(index.diffId(), objects, new TreeBuilder(index.entries()).build());
  }

  /**
   * Returns the layers of a stored image as a union wants them, top first. Fails with a clear
   * message if a layer's index is missing (the image was not pulled whole; fsck says more).
   */
  public static java.util.List<LowerLayer> ofImage(dev.strata.layout.Store store, dev.strata.layout.StoredImage image)
      throws java.io.IOException {
    java.util.List<LowerLayer> out = new java.util.ArrayList<>();
    for (Digest diffId : image.config().diffIds().reverse()) {
      if (!store.layers().contains(diffId)) {
        throw new java.io.IOException("image '" + image.name() + "': layer " + diffId
            + " has no index in the store (pull the image again, or run strata fsck)");
      }
      out.add(open(store.layers().read(diffId), store.objects()));
    }
    return out;
  }

  /** Returns the diff id of the layer. */
  public Digest diffId() {
    return diffId;
  }

  @Override
  public LowerEntry stat(String path) {
    // The hot call of every lookup, once per layer. The tree's keys are normalized paths, so a
    // path that is found is a good one: only a miss needs the check (and refuses a bad path).
    Node n = nodes.get(path);
    if (n == null) {
      LowerPaths.check(path);
      return null;
    }
    return n.entry();
  }

  @Override
  public LowerEntry statChecked(String path) {
    Node n = nodes.get(path);
    return n == null ? null : n.entry();
  }

  @Override
  public List<LowerEntry> list(String dir) {
    return children.getOrDefault(LowerPaths.check(dir), ImmutableList.of());
  }

  @Override
  public FileContent open(String path) throws IOException {
    Node n = existing(path);
    switch (n.entry().type()) {
      case REGULAR -> { }
      case DIRECTORY -> throw new ErrnoException(Errno.EISDIR, path);
      default -> throw new ErrnoException(Errno.EINVAL, path + ": not a regular file");
    }
    if (closed) {
      throw new ErrnoException(Errno.EBADF, describe() + " is closed");
    }
    ObjectContent content = objects.openContent(n.source().object());
    if (content.size() != n.entry().size()) {
      throw new ErrnoException(Errno.EIO, path + ": object " + n.source().object() + " holds " + content.size()
          + " bytes, the layer says " + n.entry().size());
    }
    open.add(content);
    return new StoreFileContent(content, open);
  }

  @Override
  public String readlink(String path) throws IOException {
    Node n = existing(path);
    if (n.entry().type() != FileType.SYMLINK) {
      throw new ErrnoException(Errno.EINVAL, path + ": not a symlink");
    }
    return n.source().linkTarget();
  }

  @Override
  public ImmutableMap<String, Bytes> xattrs(String path) throws IOException {
    Node n = existing(path);
    if (n.source() == null) {
      return ImmutableMap.of();
    }
    ImmutableSortedMap<String, Bytes> all = n.source().xattrs();
    if (all.keySet().stream().noneMatch(LowerPaths::isOverlayXattr)) {
      return all;
    }
    ImmutableSortedMap.Builder<String, Bytes> visible = ImmutableSortedMap.naturalOrder();
    all.forEach((k, v) -> {
      if (!LowerPaths.isOverlayXattr(k)) {
        visible.put(k, v);
      }
    });
    return visible.build();
  }

  @Override
  public String describe() {
    return "store layer " + diffId;
  }

  @Override
  public Path hostDirectory() {
    return objects.root();
  }

  /** Closes every content still open; later opens fail. */
  @Override
  public void close() throws IOException {
    closed = true;
    IOException first = null;
    for (ObjectContent c : List.copyOf(open)) {
      try {
        c.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
      open.remove(c);
    }
    if (first != null) {
      throw first;
    }
  }

  @Override
  public String toString() {
    return describe();
  }

  private Node existing(String path) throws ErrnoException {
    Node n = nodes.get(LowerPaths.check(path));
    if (n == null || n.entry().type() == FileType.WHITEOUT) {
      throw new ErrnoException(Errno.ENOENT, path);
    }
    return n;
  }

  private static boolean reachable(Map<String, Node> nodes, String dir) {
    for (String p = dir; ; p = Paths.parent(p)) {
      Node n = nodes.get(p);
      if (n == null || !n.entry().isDirectory()) {
        return false;
      }
      if (p.isEmpty()) {
        return true;
      }
    }
  }

  /** Turns a layer's entries, in tar order, into the nodes of its tree. */
  private static final class TreeBuilder {
    private final List<LayerEntry> entries;
    /** Position of the entry at each path, whiteouts and opaque markers left out. */
    private final Map<String, Integer> real = new HashMap<>();
    /** For each hard-linked inode: the position of the entry it shows, and how many names it has. */
    private final Map<InodeKey, int[]> inodes = new HashMap<>();
    private final Map<String, Integer> whiteouts = new HashMap<>();
    private final Set<String> opaque = new HashSet<>();
    private final Map<String, Node> nodes = new HashMap<>();
    private long nextImplied;

    /**
     * One inode of the layer. The object is part of the key because a layer whose link to a
     * lower file comes before a new file of the same path may put both in one link group.
     */
    private record InodeKey(int group, Digest object) {}

    TreeBuilder(List<LayerEntry> entries) {
      this.entries = entries;
      this.nextImplied = entries.size() + 1L;
    }

    Map<String, Node> build() {
      for (int i = 0; i < entries.size(); i++) {
        LayerEntry e = entries.get(i);
        if (e.kind().isWhiteout()) {
          continue;
        }
        real.put(e.path(), i);
        if (e.linkGroup() != 0) {
          int position = i;
          inodes.compute(new InodeKey(e.linkGroup(), e.object()),
              (k, v) -> v == null ? new int[] {position, 1} : new int[] {v[0], v[1] + 1});
        }
      }
      for (LayerEntry e : entries) {
        if (e.kind() == EntryKind.OPAQUE && !underNonDirectory(e.target())) {
          opaque.add(e.target());
        }
      }
      // The directories this layer holds whether or not they have entries of their own.
      Set<String> dirs = new HashSet<>();
      opaque.forEach(d -> addWithAncestors(dirs, d));
      real.keySet().forEach(path -> addWithAncestors(dirs, Paths.parent(path)));
      for (int i = 0; i < entries.size(); i++) {
        LayerEntry e = entries.get(i);
        String target = e.target();
        if (e.kind() != EntryKind.WHITEOUT || underNonDirectory(Paths.parent(target))) {
          continue;
        }
        Integer same = real.get(target);
        if (same == null && !dirs.contains(target)) {
          whiteouts.put(target, i);
        } else if (same == null || entries.get(same).kind() == EntryKind.DIRECTORY) {
          opaque.add(target);
        }
      }
      real.forEach((path, i) -> nodes.put(path, realNode(path, i)));
      whiteouts.forEach((path, i) -> nodes.put(path, whiteoutNode(path, i)));
      for (String dir : opaque) {
        nodes.computeIfAbsent(dir, d -> impliedNode(d, true));
      }
      for (String path : List.copyOf(nodes.keySet())) {
        for (String p = path; !p.isEmpty(); ) {
          p = Paths.parent(p);
          if (nodes.containsKey(p)) {
            break;
          }
          nodes.put(p, impliedNode(p, false));
        }
      }
      nodes.computeIfAbsent("", d -> impliedNode(d, opaque.contains(d)));
      return nodes;
    }

    /** Adds {@code dir} and its ancestors but the root; stops at one already there, as they all are. */
    private static void addWithAncestors(Set<String> dirs, String dir) {
      for (String p = dir; !p.isEmpty() && dirs.add(p); p = Paths.parent(p)) {
        // each ancestor once
      }
    }

    /** Returns whether {@code dir} or one of its ancestors is a non-directory of this layer. */
    private boolean underNonDirectory(String dir) {
      for (String p = dir; ; p = Paths.parent(p)) {
        Integer at = real.get(p);
        if (at != null && entries.get(at).kind() != EntryKind.DIRECTORY) {
          return true;
        }
        if (p.isEmpty()) {
          return false;
        }
      }
    }

    private Node realNode(String path, int position) {
      LayerEntry e = entries.get(position);
      LayerEntry shown = e;
      long identity = position + 1L;
      int nlink = 1;
      if (e.linkGroup() != 0) {
        int[] inode = inodes.get(new InodeKey(e.linkGroup(), e.object()));
        shown = entries.get(inode[0]);
        identity = inode[0] + 1L;
        nlink = inode[1];
      }
      FileType type = switch (e.kind()) {
        case FILE, HARDLINK -> FileType.REGULAR;
        case DIRECTORY -> FileType.DIRECTORY;
        case SYMLINK -> FileType.SYMLINK;
        case CHAR_DEVICE -> FileType.CHAR_DEVICE;
        case BLOCK_DEVICE -> FileType.BLOCK_DEVICE;
        case FIFO -> FileType.FIFO;
        case WHITEOUT, OPAQUE -> throw new AssertionError(e.kind());
      };
      long size = switch (type) {
        case REGULAR -> shown.size();
        case SYMLINK -> e.linkTarget().getBytes(StandardCharsets.UTF_8).length;
        default -> 0;
      };
      boolean device = type == FileType.CHAR_DEVICE || type == FileType.BLOCK_DEVICE;
      // A symlink is 0777 whatever its tar header says, as symlink(2) makes every one (what
      // umoci unpacks and the kernel's overlay shows).
      int mode = type == FileType.SYMLINK ? 0777 : shown.mode() & 07777;
      LowerEntry entry = new LowerEntry(Paths.name(path), type, mode, shown.uid(), shown.gid(), size,
          shown.mtimeSeconds(), shown.mtimeNanos(), shown.mtimeSeconds(), shown.mtimeNanos(), device ? e.devMajor() : 0, device ? e.devMinor() : 0, identity,
          nlink, type == FileType.DIRECTORY && opaque.contains(path), false, null);
      // A symlink shows its own target; every other name of an inode shows the inode's entry.
      return new Node(entry, type == FileType.SYMLINK ? e : shown);
    }

    private Node whiteoutNode(String target, int position) {
      LayerEntry e = entries.get(position);
      return new Node(new LowerEntry(Paths.name(target), FileType.WHITEOUT, e.mode() & 07777, e.uid(), e.gid(), 0,
          e.mtimeSeconds(), e.mtimeNanos(), e.mtimeSeconds(), e.mtimeNanos(), 0, 0, position + 1L, 1, false, false, null), null);
    }

    private Node impliedNode(String dir, boolean opaqueDir) {
      return new Node(new LowerEntry(Paths.name(dir), FileType.DIRECTORY, IMPLIED_MODE, 0, 0, 0, 0, 0, 0, 0, 0, 0,
          nextImplied++, 1, opaqueDir, true, null), null);
    }
  }

  /** A regular file's bytes, as the engine reads them. */
  private static final class StoreFileContent implements FileContent {
    private final ObjectContent content;
    private final Set<ObjectContent> open;

    StoreFileContent(ObjectContent content, Set<ObjectContent> open) {
      this.content = content;
      this.open = open;
    }

    @Override
    public long size() {
      return content.size();
    }

    @Override
    public int read(long position, ByteBuffer dst) throws IOException {
      return content.read(position, dst);
    }

    /** The object's file, opened for copy-up at the first ask and closed with the content. */
    private HostFile file;

    @Override
    public synchronized Extent extent() throws IOException {
      if (file == null) {
        file = HostFile.open(content.file(), HostFile.O_RDONLY, 0);
      }
      return new Extent(file, content.offset(), content.whole());
    }

    @Override
    public void close() throws IOException {
      open.remove(content);
      try {
        content.close();
      } finally {
        synchronized (this) {
          if (file != null) {
            file.close();
          }
        }
      }
    }
  }
}
