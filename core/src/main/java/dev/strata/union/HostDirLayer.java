package dev.strata.union;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSortedMap;
import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.HostDir;
import dev.strata.host.HostFile;
import dev.strata.host.Names;
import dev.strata.host.Stat;
import dev.strata.layer.Bytes;
import dev.strata.layer.Paths;
import dev.strata.overlay.Whiteouts;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A host directory in kernel overlay format seen as a lower layer (the lowerdirs of the
 * fuse-overlayfs-compatible mode). It reads what the kernel, fuse-overlayfs and AUFS-style tools
 * write (the names are {@link Whiteouts}'s):
 *
 * <ul>
 *   <li>whiteouts: a char device 0/0; a regular file {@code .wh.NAME}; a zero-size regular file
 *       with the xattr {@code overlay.whiteout};
 *   <li>opaque directories: the xattr {@code overlay.opaque} = "y", or a {@code .wh..wh..opq}
 *       file inside (never listed);
 *   <li>renamed directories: the xattr {@code overlay.redirect};
 *   <li>metadata-only files (an upper's metacopy files): the xattr {@code overlay.metacopy},
 *       with {@code overlay.redirect} if the file was renamed; the union reads their data from
 *       the layers below (see {@link #metacopy}).
 * </ul>
 *
 * Overlay xattrs are read in both conventions, {@code trusted.overlay.*} and
 * {@code user.overlay.*}, as far as the {@link HostFiles} can see them, and are never shown.
 * Names that start with {@code .wh.} belong to the format and are never entries of their own. A
 * {@code .wh.NAME} file beside a real NAME deletes only what lies below: a directory NAME is then
 * opaque, as a layer tar with both would make it. No symlink is followed, not even one among the
 * ancestors of a path: the layer holds nothing under a name that is not one of its directories.
 */
public final class HostDirLayer implements LowerLayer {
  private final Path root;
  private final HostDir dir;
  private final long rootDevice;
  /** Directories of the layer already checked, so each ancestor costs one lstat per layer. */
  private final Set<String> directories = ConcurrentHashMap.newKeySet();
  /**
   * The names of directories read so far (one getdents each, kept since the layer never
   * changes): a lookup of a name the directory lacks, the usual case in all layers but one,
   * then costs no system call, and whiteout markers are known without looking for them.
   */
  private final com.google.common.cache.Cache<String, Set<String>> names =
      com.google.common.cache.CacheBuilder.newBuilder().maximumWeight(1 << 20)
          .<String, Set<String>>weigher((dir, set) -> 1 + set.size()).build();
  /**
   * The entries of directories listed so far, by name: a merged readdir lists a directory and
   * then looks up every name in it (for d_ino, for readdirplus), and those lookups find the
   * entries here instead of asking the host for each again.
   */
  private final com.google.common.cache.Cache<String, Map<String, LowerEntry>> listed =
      com.google.common.cache.CacheBuilder.newBuilder().maximumWeight(1 << 18)
          .<String, Map<String, LowerEntry>>weigher((dir, map) -> 1 + map.size()).build();
  /** Filesystems mounted inside the layer, each numbered once (see {@link #identity}). */
  private final Map<Long, Long> devices = new ConcurrentHashMap<>();
  private final AtomicLong nextDevice = new AtomicLong(1);

  private HostDirLayer(Path root, HostDir dir, long rootDevice) {
    this.root = root;
    this.dir = dir;
    this.rootDevice = rootDevice;
  }

  /**
   * Returns the layer of the directory {@code dir} (a symlink naming it is followed, as mount
   * follows it). Overlay xattrs are read as far as this process can see them: {@code trusted.*}
   * only with CAP_SYS_ADMIN.
   */
  public static HostDirLayer open(Path dir) throws IOException {
    Path real = dir.toRealPath();
    HostDir d;
    try {
      d = HostDir.open(real);
    } catch (ErrnoException e) {
      if (e.errno() == Errno.ENOTDIR) {
        throw new NotDirectoryException(dir.toString());
      }
      throw e;
    }
    Stat st = d.stat("");
    if (st == null || !st.isDirectory()) {
      d.close();
      throw new NotDirectoryException(dir.toString());
    }
    return new HostDirLayer(real, d, st.dev());
  }

  /** Returns the directory. */
  public Path root() {
    return root;
  }

  @Override
  public LowerEntry stat(String path) throws IOException {
    LowerPaths.check(path);
    if (path.isEmpty()) {
      return entry("", "", dir.stat(""), false);
    }
    String name = Paths.name(path);
    String parent = Paths.parent(path);
    if (Whiteouts.isWhiteoutName(name)) {
      return null;
    }
    Map<String, LowerEntry> known = listed.getIfPresent(parent);
    if (known != null) {
      return known.get(name);
    }
    if (!isDirectory(parent)) {
      return null;
    }
    Set<String> siblings = namesOf(parent);
    boolean listed = siblings.contains(name);
    boolean marked = siblings.contains(Whiteouts.whiteoutName(name));
    if (!listed && !marked) {
      return null;
    }
    Stat st = listed ? dir.stat(path) : null;
    Stat marker = null;
    if (marked && (st == null || st.isDirectory())) {
      marker = dir.stat(Whiteouts.whiteoutPath(parent, name));
      marker = marker != null && marker.isRegular() ? marker : null;
    }
    if (st == null) {
      return marker == null ? null : whiteout(name, marker);
    }
    return entry(path, name, st, marker != null);
  }

  @Override
  public List<LowerEntry> list(String path) throws IOException {
    if (!isDirectory(LowerPaths.check(path))) {
      return ImmutableList.of();
    }
    Map<String, LowerEntry> known = listed.getIfPresent(path);
    if (known != null) {
      return List.copyOf(known.values());
    }
    Set<String> names = namesOf(path);
    List<LowerEntry> out = new ArrayList<>(names.size());
    for (String name : names) {
      if (Whiteouts.isWhiteoutName(name)) {
        String target = Whiteouts.deletedName(name);
        // The opaque marker and AUFS's own .wh..wh.* files are not entries; a real file of the
        // name is listed for itself.
        if (target.isEmpty() || Whiteouts.isWhiteoutName(target) || names.contains(target)) {
          continue;
        }
        Stat marker = dir.stat(Paths.join(path, name));
        if (marker != null && marker.isRegular()) {
          out.add(whiteout(target, marker));
        }
      } else {
        String file = Paths.join(path, name);
        Stat st = dir.stat(file);
        if (st != null) {
          out.add(entry(file, name, st, names.contains(Whiteouts.whiteoutName(name))));
        }
      }
    }
    Map<String, LowerEntry> byName = new java.util.HashMap<>();
    for (LowerEntry e : out) {
      byName.put(e.name(), e);
    }
    listed.put(path, byName);
    return out;
  }

  @Override
  public FileContent open(String path) throws IOException {
    LowerEntry e = existing(path);
    switch (e.type()) {
      case REGULAR -> { }
      case DIRECTORY -> throw new ErrnoException(Errno.EISDIR, path);
      default -> throw new ErrnoException(Errno.EINVAL, path + ": not a regular file");
    }
    return new HostFileContent(dir.open(path, HostFile.O_RDONLY, 0), e.size());
  }

  /**
   * Only a regular file's xattrs are read, and only here: a walk (stat, list) never pays for
   * this, and a metacopy file's own size and metadata are what the union shows.
   */
  @Override
  public Metacopy metacopy(String path) throws IOException {
    if (existing(path).type() != FileType.REGULAR) {
      return null;
    }
    List<String> names = dir.listxattr(path);
    boolean marked = names.contains(Whiteouts.TRUSTED_XATTRS + Whiteouts.XATTR_METACOPY)
        || names.contains(Whiteouts.USER_XATTRS + Whiteouts.XATTR_METACOPY);
    if (!marked) {
      return null;
    }
    return new Metacopy(overlayXattr(path, names, Whiteouts.XATTR_REDIRECT));
  }

  @Override
  public String readlink(String path) throws IOException {
    if (existing(path).type() != FileType.SYMLINK) {
      throw new ErrnoException(Errno.EINVAL, path + ": not a symlink");
    }
    return dir.readlink(path);
  }

  @Override
  public ImmutableMap<String, Bytes> xattrs(String path) throws IOException {
    existing(path);
    ImmutableSortedMap.Builder<String, Bytes> out = ImmutableSortedMap.naturalOrder();
    for (String name : dir.listxattr(path)) {
      if (!Whiteouts.isOverlayXattr(name)) {
        byte[] value = dir.getxattr(path, name);
        if (value != null) {
          out.put(name, Bytes.copyOf(value));
        }
      }
    }
    return out.build();
  }

  @Override
  public String describe() {
    return "dir " + root;
  }

  @Override
  public void close() {
    dir.close();
  }

  @Override
  public Path hostDirectory() {
    return root;
  }

  @Override
  public String toString() {
    return describe();
  }

  private LowerEntry existing(String path) throws IOException {
    LowerEntry e = stat(path);
    if (e == null || e.type() == FileType.WHITEOUT) {
      throw new ErrnoException(Errno.ENOENT, path);
    }
    return e;
  }

  /** The names in directory {@code dir} (a directory of this layer), read once. */
  private Set<String> namesOf(String path) throws IOException {
    Set<String> cached = names.getIfPresent(path);
    if (cached != null) {
      return cached;
    }
    Set<String> read = new HashSet<>();
    try {
      for (HostDir.Entry e : dir.list(path)) {
        read.add(e.name());
      }
    } catch (ErrnoException e) {
      if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
        return Set.of();
      }
      throw e;
    }
    Set<String> kept = Set.copyOf(read);
    names.put(path, kept);
    return kept;
  }

  /** Returns whether the layer holds a directory at {@code dir}, each ancestor a directory too. */
  private boolean isDirectory(String path) throws IOException {
    if (path.isEmpty() || directories.contains(path)) {
      return true;
    }
    if (Whiteouts.isWhiteoutName(Paths.name(path)) || !isDirectory(Paths.parent(path))) {
      return false;
    }
    Stat st = dir.stat(path);
    if (st != null && st.isDirectory()) {
      directories.add(path);
      return true;
    }
    return false;
  }

  private LowerEntry entry(String path, String name, Stat st, boolean besideWhiteout) throws IOException {
    FileType type = FileType.ofMode(st.mode());
    boolean opaque = false;
    String redirect = null;
    if (st.isWhiteout()) {
      type = FileType.WHITEOUT;
    } else if (type == FileType.REGULAR && st.size() == 0) {
      List<String> names = dir.listxattr(path);
      if (overlayXattr(path, names, Whiteouts.XATTR_WHITEOUT) != null) {
        type = FileType.WHITEOUT;
      }
    } else if (type == FileType.DIRECTORY) {
      List<String> names = dir.listxattr(path);
      opaque = besideWhiteout || "y".equals(overlayXattr(path, names, Whiteouts.XATTR_OPAQUE))
          || dir.stat(Whiteouts.opaqueMarkerPath(path)) != null;
      redirect = overlayXattr(path, names, Whiteouts.XATTR_REDIRECT);
    }
    boolean device = type == FileType.CHAR_DEVICE || type == FileType.BLOCK_DEVICE;
    // A directory's size is the host's, as the kernel's overlay shows a lower directory's.
    long size = type == FileType.REGULAR || type == FileType.SYMLINK || type == FileType.DIRECTORY ? st.size() : 0;
    return new LowerEntry(name, type, st.mode() & 07777, st.uid(), st.gid(), size,
        Math.floorDiv(st.mtimeNanos(), 1_000_000_000L), (int) Math.floorMod(st.mtimeNanos(), 1_000_000_000L),
        Math.floorDiv(st.atimeNanos(), 1_000_000_000L), (int) Math.floorMod(st.atimeNanos(), 1_000_000_000L),
        device ? st.rdevMajor() : 0, device ? st.rdevMinor() : 0, identity(st), st.nlink(), opaque, false, redirect);
  }

  private LowerEntry whiteout(String target, Stat marker) {
    long seconds = Math.floorDiv(marker.mtimeNanos(), 1_000_000_000L);
    int nanos = (int) Math.floorMod(marker.mtimeNanos(), 1_000_000_000L);
    return new LowerEntry(target, FileType.WHITEOUT, marker.mode() & 07777, marker.uid(), marker.gid(), 0, seconds,
        nanos, seconds, nanos, 0, 0, identity(marker), marker.nlink(), false, false, null);
  }

  /** Returns the value of the overlay xattr {@code key} in either convention, or null. */
  private String overlayXattr(String path, List<String> names, String key) throws IOException {
    for (String prefix : new String[] {Whiteouts.TRUSTED_XATTRS, Whiteouts.USER_XATTRS}) {
      if (names.contains(prefix + key)) {
        byte[] value = dir.getxattr(path, prefix + key);
        if (value != null) {
          return Names.decode(value);
        }
      }
    }
    return null;
  }

  /**
   * Returns st_ino, unique within one filesystem; a file of another filesystem mounted inside
   * the layer gets its filesystem's number in the top bits so that it cannot share an identity.
   */
  private long identity(Stat st) {
    if (st.dev() == rootDevice) {
      return st.ino();
    }
    long k = devices.computeIfAbsent(st.dev(), d -> nextDevice.getAndIncrement());
    return (k << 48) ^ st.ino();
  }

  /** A host file's bytes; the layer does not change, so its length is the one stat saw. */
  private static final class HostFileContent implements FileContent {
    private final HostFile file;
    private final long size;

    HostFileContent(HostFile file, long size) {
      this.file = file;
      this.size = size;
    }

    @Override
    public long size() {
      return size;
    }

    @Override
    public int read(long position, ByteBuffer dst) throws IOException {
      if (position >= size) {
        return -1;
      }
      ByteBuffer window = dst.duplicate();
      window.limit(window.position() + (int) Math.min(dst.remaining(), size - position));
      int done = 0;
      while (window.hasRemaining()) {
        int n = file.read(position + done, window);
        if (n < 0) {
          break;
        }
        done += n;
      }
      dst.position(dst.position() + done);
      return done == 0 && dst.hasRemaining() ? -1 : done;
    }

    @Override
    public Extent extent() {
      return new Extent(file, 0, true);
    }

    @Override
    public void close() throws IOException {
      file.close();
    }
  }
}
