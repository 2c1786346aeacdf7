package dev.strata.union;

import dev.strata.host.ErrnoException;
import dev.strata.host.Errno;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSortedMap;
import dev.strata.layer.Bytes;
import dev.strata.layer.Paths;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A host directory in kernel overlay format seen as a lower layer (the lowerdirs of the
 * fuse-overlayfs-compatible mode). It reads what the kernel, fuse-overlayfs and AUFS-style tools
 * write:
 *
 * <ul>
 *   <li>whiteouts: a char device 0/0; a regular file {@code .wh.NAME}; a zero-size regular file
 *       with the xattr {@code overlay.whiteout};
 *   <li>opaque directories: the xattr {@code overlay.opaque} = "y", or a {@code .wh..wh..opq}
 *       file inside (never listed);
 *   <li>renamed directories: the xattr {@code overlay.redirect}.
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
  static final String WHITEOUT_PREFIX = ".wh.";
  static final String OPAQUE_MARKER = ".wh..wh..opq";
  private static final String ATTRIBUTES = "unix:mode,ino,dev,nlink,uid,gid,rdev,size,lastModifiedTime,lastAccessTime";
  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

  private final Path root;
  private final HostFiles host;
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

  /** What lstat(2) says of one file. */
  private record Stat(FileType type, int mode, long ino, long dev, int nlink, long uid, long gid, long rdev, long size,
      FileTime mtime, FileTime atime) {}

  private HostDirLayer(Path root, HostFiles host, long rootDevice) {
    this.root = root;
    this.host = host;
    this.rootDevice = rootDevice;
  }

  /**
   * Returns the layer of the directory {@code dir} (a symlink naming it is followed, as mount
   * follows it), reading xattrs through {@code host}.
   */
  public static HostDirLayer open(Path dir, HostFiles host) throws IOException {
    checkNotNull(host, "host");
    Path real = dir.toRealPath();
    Stat st = lstat(real);
    if (st == null || st.type() != FileType.DIRECTORY) {
      throw new NotDirectoryException(dir.toString());
    }
    return new HostDirLayer(real, host, st.dev());
  }

  /** Returns the directory. */
  public Path root() {
    return root;
  }

  @Override
  public LowerEntry stat(String path) throws IOException {
    LowerPaths.check(path);
    if (path.isEmpty()) {
      return entry(root, "", lstat(root), false);
    }
    String name = Paths.name(path);
    String parent = Paths.parent(path);
    if (name.startsWith(WHITEOUT_PREFIX)) {
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
    boolean marked = siblings.contains(WHITEOUT_PREFIX + name);
    if (!listed && !marked) {
      return null;
    }
    Path file = file(path);
    Stat st = listed ? lstat(file) : null;
    Stat marker = null;
    if (marked && (st == null || st.type() == FileType.DIRECTORY)) {
      marker = lstat(file.resolveSibling(WHITEOUT_PREFIX + name));
      marker = marker != null && marker.type() == FileType.REGULAR ? marker : null;
    }
    if (st == null) {
      return marker == null ? null : whiteout(name, marker);
    }
    return entry(file, name, st, marker != null);
  }

  @Override
  public List<LowerEntry> list(String dir) throws IOException {
    if (!isDirectory(LowerPaths.check(dir))) {
      return ImmutableList.of();
    }
    Map<String, LowerEntry> known = listed.getIfPresent(dir);
    if (known != null) {
      return List.copyOf(known.values());
    }
    Path d = file(dir);
    Set<String> names = namesOf(dir);
    List<LowerEntry> out = new ArrayList<>(names.size());
    for (String name : names) {
      if (name.startsWith(WHITEOUT_PREFIX)) {
        String target = name.substring(WHITEOUT_PREFIX.length());
        // The opaque marker and AUFS's own .wh..wh.* files are not entries; a real file of the
        // name is listed for itself.
        if (target.isEmpty() || target.startsWith(WHITEOUT_PREFIX) || names.contains(target)) {
          continue;
        }
        Stat marker = lstat(d.resolve(name));
        if (marker != null && marker.type() == FileType.REGULAR) {
          out.add(whiteout(target, marker));
        }
      } else {
        Path file = d.resolve(name);
        Stat st = lstat(file);
        if (st != null) {
          out.add(entry(file, name, st, names.contains(WHITEOUT_PREFIX + name)));
        }
      }
    }
    Map<String, LowerEntry> byName = new java.util.HashMap<>();
    for (LowerEntry e : out) {
      byName.put(e.name(), e);
    }
    listed.put(dir, byName);
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
    Path file = file(path);
    return new HostFileContent(file, FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS),
        e.size());
  }

  @Override
  public String readlink(String path) throws IOException {
    if (existing(path).type() != FileType.SYMLINK) {
      throw new ErrnoException(Errno.EINVAL, path + ": not a symlink");
    }
    return Files.readSymbolicLink(file(path)).toString();
  }

  @Override
  public ImmutableMap<String, Bytes> xattrs(String path) throws IOException {
    existing(path);
    Path file = file(path);
    ImmutableSortedMap.Builder<String, Bytes> out = ImmutableSortedMap.naturalOrder();
    for (String name : host.listxattr(file)) {
      if (!LowerPaths.isOverlayXattr(name)) {
        byte[] value = host.getxattr(file, name);
        if (value != null) {
          out.put(name, Bytes.copyOf(value));
        }
      }
    }
    return out.build();
  }

  /** The host path of {@code path} in this layer, reachable even past PATH_MAX. */
  private Path file(String path) {
    Path p = root.resolve(path);
    return path.length() > UpperDir.LONG_PATH ? host.reachable(p) : p;
  }

  @Override
  public String describe() {
    return "dir " + root;
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
  private Set<String> namesOf(String dir) throws IOException {
    Set<String> cached = names.getIfPresent(dir);
    if (cached != null) {
      return cached;
    }
    Set<String> read = new HashSet<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(file(dir))) {
      for (Path p : stream) {
        read.add(p.getFileName().toString());
      }
    } catch (NoSuchFileException | NotDirectoryException e) {
      return Set.of();
    }
    Set<String> kept = Set.copyOf(read);
    names.put(dir, kept);
    return kept;
  }

  /** Returns whether the layer holds a directory at {@code dir}, each ancestor a directory too. */
  private boolean isDirectory(String dir) throws IOException {
    if (dir.isEmpty() || directories.contains(dir)) {
      return true;
    }
    if (Paths.name(dir).startsWith(WHITEOUT_PREFIX) || !isDirectory(Paths.parent(dir))) {
      return false;
    }
    Stat st = lstat(file(dir));
    if (st != null && st.type() == FileType.DIRECTORY) {
      directories.add(dir);
      return true;
    }
    return false;
  }

  private LowerEntry entry(Path file, String name, Stat st, boolean besideWhiteout) throws IOException {
    FileType type = st.type();
    boolean opaque = false;
    String redirect = null;
    if (type == FileType.CHAR_DEVICE && st.rdev() == 0) {
      type = FileType.WHITEOUT;
    } else if (type == FileType.REGULAR && st.size() == 0) {
      List<String> names = host.listxattr(file);
      if (overlayXattr(file, names, "whiteout") != null) {
        type = FileType.WHITEOUT;
      }
    } else if (type == FileType.DIRECTORY) {
      List<String> names = host.listxattr(file);
      opaque = besideWhiteout || "y".equals(overlayXattr(file, names, "opaque"))
          || Files.exists(file.resolve(OPAQUE_MARKER), NOFOLLOW);
      redirect = overlayXattr(file, names, "redirect");
    }
    boolean device = type == FileType.CHAR_DEVICE || type == FileType.BLOCK_DEVICE;
    long size = type == FileType.REGULAR || type == FileType.SYMLINK ? st.size() : 0;
    Instant mtime = st.mtime().toInstant();
    Instant atime = st.atime().toInstant();
    return new LowerEntry(name, type, st.mode() & 07777, st.uid(), st.gid(), size, mtime.getEpochSecond(),
        mtime.getNano(), atime.getEpochSecond(), atime.getNano(), device ? major(st.rdev()) : 0, device ? minor(st.rdev()) : 0, identity(st), st.nlink(),
        opaque, false, redirect);
  }

  private LowerEntry whiteout(String target, Stat marker) {
    Instant mtime = marker.mtime().toInstant();
    return new LowerEntry(target, FileType.WHITEOUT, marker.mode() & 07777, marker.uid(), marker.gid(), 0,
        mtime.getEpochSecond(), mtime.getNano(), mtime.getEpochSecond(), mtime.getNano(), 0, 0, identity(marker), marker.nlink(), false, false, null);
  }

  /** Returns the value of the overlay xattr {@code key} in either convention, or null. */
  private String overlayXattr(Path file, List<String> names, String key) throws IOException {
    for (String prefix : new String[] {LowerPaths.TRUSTED_OVERLAY, LowerPaths.USER_OVERLAY}) {
      if (names.contains(prefix + key)) {
        byte[] value = host.getxattr(file, prefix + key);
        if (value != null) {
          return new String(value, StandardCharsets.UTF_8);
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

  /** lstat(2); null if there is nothing there. */
  private static Stat lstat(Path file) throws IOException {
    Map<String, Object> a;
    try {
      a = Files.readAttributes(file, ATTRIBUTES, NOFOLLOW);
    } catch (NoSuchFileException | NotDirectoryException e) {
      return null;
    }
    int mode = (Integer) a.get("mode");
    return new Stat(FileType.ofMode(mode), mode, (Long) a.get("ino"), (Long) a.get("dev"), (Integer) a.get("nlink"),
        Integer.toUnsignedLong((Integer) a.get("uid")), Integer.toUnsignedLong((Integer) a.get("gid")),
        (Long) a.get("rdev"), (Long) a.get("size"), (FileTime) a.get("lastModifiedTime"),
        (FileTime) a.get("lastAccessTime"));
  }

  /** The major number of a Linux dev_t. */
  static int major(long dev) {
    return (int) (((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL));
  }

  /** The minor number of a Linux dev_t. */
  static int minor(long dev) {
    return (int) (((dev >>> 12) & 0xffffff00L) | (dev & 0xffL));
  }

  /** A host file's bytes; the layer does not change, so its length is the one stat saw. */
  private static final class HostFileContent implements FileContent {
    private final Path file;
    private final FileChannel channel;
    private final long size;

    HostFileContent(Path file, FileChannel channel, long size) {
      this.file = file;
      this.channel = channel;
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
        int n = channel.read(window, position + done);
        if (n < 0) {
          break;
        }
        done += n;
      }
      dst.position(dst.position() + done);
      return done == 0 && dst.hasRemaining() ? -1 : done;
    }

    @Override
    public Optional<Path> hostFile() {
      return Optional.of(file);
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}
