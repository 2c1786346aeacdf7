package dev.strata.union;

import static com.google.common.base.Preconditions.checkNotNull;

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
import dev.strata.layer.LayerTree;
import dev.strata.overlay.Whiteouts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.AbstractList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;



/**
 * A layer of the store seen as a lower layer: its index's tree ({@link LayerTree}) read in place,
 * and its regular files read from the store's objects. Nothing is extracted, so owners, modes,
 * device nodes and xattrs are exact without root, and no symlink is ever resolved by the host.
 * Nothing is built when the layer is opened: a lookup is a binary search among a directory's
 * children in the mapped index, and what the engine keeps of the answers is what it uses.
 *
 * <p>The tree follows the OCI changeset rules, applied when the layer was indexed (see
 * {@link LayerTree}): {@code .wh.NAME} is a whiteout of NAME, {@code .wh..wh..opq} makes its
 * directory opaque, a directory that holds entries without an entry of its own is implied (its
 * attributes come from below), and every name of a hard-linked inode shows that inode's metadata
 * and content. A whiteout of a name that this same layer creates deletes only what lies below: a
 * file of the layer wins, a directory of the layer becomes opaque.
 */
public final class StoreLayer implements LowerLayer {
  private final Digest diffId;
  private final ObjectStore objects;
  private final LayerIndex index;
  private final LayerTree tree;
  private final Set<ObjectContent> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private StoreLayer(LayerIndex index, ObjectStore objects) {
    this.diffId = index.diffId();
    this.objects = objects;
    this.index = index;
    this.tree = index.tree();
  }

  /** Returns the layer of {@code index}, its file contents in {@code objects}. */
  public static StoreLayer open(LayerIndex index, ObjectStore objects) {
    checkNotNull(objects, "objects");
    return new StoreLayer(index, objects);
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
  public LowerEntry stat(String path) throws IOException {
    int n = tree.find(path);
    if (n == LayerTree.NONE) {
      // A path that is found is a good one: only a miss needs the check (and refuses a bad path).
      LowerPaths.check(path);
      return null;
    }
    return entry(tree.node(n));
  }

  @Override
  public LowerEntry statChecked(String path) throws IOException {
    int n = tree.find(path);
    return n == LayerTree.NONE ? null : entry(tree.node(n));
  }

  @Override
  public List<LowerEntry> list(String dir) throws IOException {
    int n = tree.find(LowerPaths.check(dir));
    if (n == LayerTree.NONE) {
      return List.of();
    }
    int count = tree.childCount(n);
    // Decoded as the engine reads them: a directory of a million names is not held twice.
    return new AbstractList<>() {
      @Override
      public LowerEntry get(int i) {
        try {
          return entry(tree.node(tree.child(n, i)));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }

      @Override
      public int size() {
        return count;
      }
    };
  }

  @Override
  public FileContent open(String path) throws IOException {
    int n = existing(path);
    LayerTree.Node node = tree.node(n);
    switch (type(node.kind())) {
      case REGULAR -> { }
      case DIRECTORY -> throw new ErrnoException(Errno.EISDIR, path);
      default -> throw new ErrnoException(Errno.EINVAL, path + ": not a regular file");
    }
    if (closed) {
      throw new ErrnoException(Errno.EBADF, describe() + " is closed");
    }
    Digest object = tree.shown(n).object();
    ObjectContent content = objects.openContent(object);
    if (content.size() != node.size()) {
      throw new ErrnoException(Errno.EIO, path + ": object " + object + " holds " + content.size()
          + " bytes, the layer says " + node.size());
    }
    open.add(content);
    return new StoreFileContent(content, open);
  }

  @Override
  public String readlink(String path) throws IOException {
    int n = existing(path);
    LayerEntry e = tree.shown(n);
    if (e == null || e.kind() != EntryKind.SYMLINK) {
      throw new ErrnoException(Errno.EINVAL, path + ": not a symlink");
    }
    return e.linkTarget();
  }

  @Override
  public ImmutableMap<String, Bytes> xattrs(String path) throws IOException {
    LayerEntry e = tree.shown(existing(path));
    if (e == null) {
      return ImmutableMap.of();
    }
    ImmutableSortedMap<String, Bytes> all = e.xattrs();
    if (all.keySet().stream().noneMatch(Whiteouts::isOverlayXattr)) {
      return all;
    }
    ImmutableSortedMap.Builder<String, Bytes> visible = ImmutableSortedMap.naturalOrder();
    all.forEach((k, v) -> {
      if (!Whiteouts.isOverlayXattr(k)) {
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
  public void releasePages() {
    index.releasePages();
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

  private int existing(String path) throws IOException {
    int n = tree.find(LowerPaths.check(path));
    if (n == LayerTree.NONE || tree.node(n).kind() == EntryKind.WHITEOUT) {
      throw new ErrnoException(Errno.ENOENT, path);
    }
    return n;
  }

  private static FileType type(EntryKind kind) {
    return switch (kind) {
      case FILE, HARDLINK -> FileType.REGULAR;
      case DIRECTORY -> FileType.DIRECTORY;
      case SYMLINK -> FileType.SYMLINK;
      case CHAR_DEVICE -> FileType.CHAR_DEVICE;
      case BLOCK_DEVICE -> FileType.BLOCK_DEVICE;
      case FIFO -> FileType.FIFO;
      case WHITEOUT, OPAQUE -> FileType.WHITEOUT;
    };
  }

  private static LowerEntry entry(LayerTree.Node n) {
    FileType type = type(n.kind());
    // A symlink is 0777 whatever its tar header says, as symlink(2) makes every one (what
    // umoci unpacks and the kernel's overlay shows).
    int mode = type == FileType.SYMLINK ? 0777 : n.mode();
    return new LowerEntry(n.name(), type, mode, n.uid(), n.gid(), n.size(), n.mtimeSeconds(), n.mtimeNanos(),
        n.mtimeSeconds(), n.mtimeNanos(), n.devMajor(), n.devMinor(), n.identity(), n.nlink(),
        type == FileType.DIRECTORY && n.opaque(), n.implied(), null);
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
