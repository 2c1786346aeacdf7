package dev.strata.union;

import dev.strata.host.ErrnoException;
import dev.strata.host.Errno;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The upper directory in the kernel's format, and the work directory beside it.
 *
 * <p>Whiteouts are char 0/0 devices where the host can make them, else {@code .wh.NAME} files
 * (as fuse-overlayfs writes them without privileges); both are read either way. Opaque
 * directories, redirects and metacopy marks are overlay xattrs ({@code trusted.overlay.*} as
 * root, {@code user.overlay.*} otherwise); an opaque directory may also hold a
 * {@code .wh..wh..opq} file.
 */
final class UpperDir {
  static final String WHITEOUT_PREFIX = ".wh.";
  static final String OPAQUE_MARKER = ".wh..wh..opq";

  private final Path root;
  private final Path work;
  private final HostFiles host;
  private final String prefix;
  private final boolean deviceWhiteouts;
  /** Rootless: owners, modes and device types live in {@link #OVERRIDE}, not in the inode. */
  private final boolean rootless;

  /** The xattr rootless container tools keep "uid:gid:mode:type" in. */
  static final String OVERRIDE = "user.containers.override_stat";

  UpperDir(Path root, Path work, HostFiles host) throws IOException {
    this.root = root;
    this.work = work;
    this.host = host;
    this.prefix = host.overlayXattrPrefix();
    this.deviceWhiteouts = host.canMknod();
    this.rootless = !host.canChown();
    Files.createDirectories(work.resolve("work"));
  }

  HostFiles host() {
    return host;
  }

  /** Returns the host path of union path {@code rel}. */
  Path path(String rel) {
    if (rel.isEmpty()) {
      return root;
    }
    Path p = root.resolve(rel);
    return rel.length() > LONG_PATH ? host.reachable(p) : p;
  }

  /** Characters of a relative path past which the upper's root could push it over PATH_MAX. */
  static final int LONG_PATH = 2048;

  /** Returns a fresh name in the work directory, for staging a copy-up or an exchange. */
  Path temp(String what) {
    return work.resolve("work").resolve("#" + what + "-" + Long.toHexString(System.nanoTime()) + "-"
        + Long.toHexString(Thread.currentThread().getId()));
  }

  /** Returns the attributes of {@code rel} (unix view, not following links), or null if absent. */
  Map<String, Object> stat(String rel) throws IOException {
    try {
      Map<String, Object> a = Files.readAttributes(path(rel), "unix:*", LinkOption.NOFOLLOW_LINKS);
      return rootless ? withOverride(path(rel), a) : a;
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** Whether this upper keeps owners and modes in override xattrs (rootless). */
  boolean rootless() {
    return rootless;
  }

  /** The attributes with the override xattr's owner, mode and type in place of the host's. */
  Map<String, Object> withOverride(Path file, Map<String, Object> host) throws IOException {
    Override o = override(file, host);
    if (o == null) {
      return host;
    }
    Map<String, Object> a = new java.util.HashMap<>(host);
    a.put("uid", (int) o.uid());
    a.put("gid", (int) o.gid());
    a.put("mode", o.typeBits() | o.mode());
    a.put("rdev", ((long) (o.major() & 0xfff) << 8) | (o.minor() & 0xff) | ((long) (o.minor() & ~0xff) << 12)
        | ((long) (o.major() & ~0xfff) << 32));
    return a;
  }

  /** Owner, mode and type as a rootless upper records them. */
  record Override(long uid, long gid, int mode, int typeBits, int major, int minor) {
    String encode() {
      String type = switch (typeBits) {
        case 0040000 -> "dir";
        case 0120000 -> "symlink";
        case 0010000 -> "pipe";
        case 0140000 -> "socket";
        case 0020000 -> "char-" + major + "-" + minor;
        case 0060000 -> "block-" + major + "-" + minor;
        default -> "file";
      };
      return uid + ":" + gid + ":" + String.format("%04o", mode & 07777) + ":" + type;
    }

    static Override decode(String text) {
      String[] f = text.split(":");
      if (f.length < 3) {
        return null;
      }
      int typeBits = 0100000;
      int major = 0;
      int minor = 0;
      if (f.length > 3) {
        String t = f[3];
        if (t.equals("dir")) {
          typeBits = 0040000;
        } else if (t.equals("symlink")) {
          typeBits = 0120000;
        } else if (t.equals("pipe")) {
          typeBits = 0010000;
        } else if (t.equals("socket")) {
          typeBits = 0140000;
        } else if (t.startsWith("char-") || t.startsWith("block-")) {
          String[] d = t.split("-");
          typeBits = t.startsWith("char-") ? 0020000 : 0060000;
          major = Integer.parseInt(d[1]);
          minor = Integer.parseInt(d[2]);
        }
      }
      return new Override(Long.parseLong(f[0]), Long.parseLong(f[1]), Integer.parseInt(f[2], 8) & 07777, typeBits,
          major, minor);
    }
  }

  private Override override(Path file, Map<String, Object> host) throws IOException {
    if (((Integer) host.get("mode") & 0170000) == 0120000) {
      return null; // symlinks cannot hold user xattrs
    }
    byte[] v = this.host.getxattr(file, OVERRIDE);
    if (v == null) {
      return null;
    }
    try {
      return Override.decode(new String(v, StandardCharsets.US_ASCII));
    } catch (RuntimeException e) {
      return null; // a damaged override: show the host's own attributes
    }
  }

  /** Sets the owner of an upper file (rootless: in the override xattr). */
  void setOwner(Path file, long uid, long gid) throws IOException {
    if (!rootless) {
      host.lchown(file, uid, gid);
      return;
    }
    Map<String, Object> a = Files.readAttributes(file, "unix:*", LinkOption.NOFOLLOW_LINKS);
    if (((Integer) a.get("mode") & 0170000) == 0120000) {
      return; // nowhere to keep it: rootless tools leave symlinks owned by the user
    }
    Override o = current(file, a);
    writeOverride(file, new Override(uid < 0 ? o.uid() : uid, gid < 0 ? o.gid() : gid, o.mode(), o.typeBits(),
        o.major(), o.minor()));
  }

  /** Sets the mode of an upper file (rootless: in the override xattr; the inode stays usable). */
  void setMode(Path file, int mode) throws IOException {
    if (!rootless) {
      host.chmod(file, mode & 07777);
      return;
    }
    Map<String, Object> a = Files.readAttributes(file, "unix:*", LinkOption.NOFOLLOW_LINKS);
    if (((Integer) a.get("mode") & 0170000) == 0120000) {
      return;
    }
    Override o = current(file, a);
    writeOverride(file, new Override(o.uid(), o.gid(), mode & 07777, o.typeBits(), o.major(), o.minor()));
    // The user who runs the union must still read and write what it keeps.
    boolean dir = ((Integer) a.get("mode") & 0170000) == 0040000;
    host.chmod(file, (mode & 0777) | (dir ? 0700 : 0600));
  }

  /** Makes a device node, fifo or socket (rootless: a plain file whose override says the type). */
  void makeNode(Path file, int mode, int major, int minor) throws IOException {
    if (host.canMknod()) {
      host.mknod(file, mode, major, minor);
      return;
    }
    Files.createFile(file);
    writeOverride(file, new Override(0, 0, mode & 07777, mode & 0170000, major, minor));
  }

  private Override current(Path file, Map<String, Object> a) throws IOException {
    Override o = override(file, a);
    if (o != null) {
      return o;
    }
    int mode = (Integer) a.get("mode");
    long rdev = (Long) a.get("rdev");
    return new Override((Integer) a.get("uid"), (Integer) a.get("gid"), mode & 07777, mode & 0170000, major(rdev),
        minor(rdev));
  }

  private void writeOverride(Path file, Override o) throws IOException {
    host.setxattr(file, OVERRIDE, o.encode().getBytes(StandardCharsets.US_ASCII));
  }

  /** Returns whether attributes read by {@link #stat} are those of a char 0/0 whiteout. */
  static boolean isWhiteout(Map<String, Object> attrs) {
    int mode = (Integer) attrs.get("mode");
    return (mode & 0170000) == 0020000 && ((Long) attrs.get("rdev")) == 0;
  }

  /** Returns whether {@code rel} is whited out in the upper (a device whiteout or a .wh. file). */
  boolean whitedOut(String rel, Map<String, Object> attrs) throws IOException {
    if (attrs != null) {
      return isWhiteout(attrs);
    }
    Path marker = whiteoutFile(rel);
    return marker != null && Files.exists(marker, LinkOption.NOFOLLOW_LINKS);
  }

  /** The .wh. marker of {@code rel}; null when the marker's name would pass NAME_MAX. */
  private Path whiteoutFile(String rel) {
    int slash = rel.lastIndexOf('/');
    String dir = slash < 0 ? "" : rel.substring(0, slash);
    String marker = WHITEOUT_PREFIX + rel.substring(slash + 1);
    if (marker.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > Lookup.NAME_MAX) {
      return null;
    }
    return path(dir).resolve(marker);
  }

  /** Whites out {@code rel}, whose upper name must be free. */
  void whiteout(String rel) throws IOException {
    if (deviceWhiteouts) {
      host.mknod(path(rel), 0020000, 0, 0);
    } else {
      try {
        Path marker = whiteoutFile(rel);
        if (marker == null) {
          // fuse-overlayfs has the same limit where it writes .wh. files: 251 bytes a name.
          throw new ErrnoException(Errno.ENAMETOOLONG, "/" + rel + ": no room for a .wh. whiteout marker");
        }
        Files.createFile(marker);
      } catch (FileAlreadyExistsException e) {
        // already whited out
      }
    }
  }

  /** Removes a whiteout of {@code rel}, of either kind, if there is one. */
  void removeWhiteout(String rel) throws IOException {
    Map<String, Object> attrs = stat(rel);
    if (attrs != null && isWhiteout(attrs)) {
      Files.delete(path(rel));
    }
    Path marker = whiteoutFile(rel);
    if (marker != null) {
      Files.deleteIfExists(marker);
    }
  }

  /**
   * Returns the index entry of a hard-linked lower file: named by the layer and the file's
   * identity in it, so that every name of the file finds the same entry, across mounts too.
   */
  Path indexEntry(LowerLayer layer, long identity) {
    String key = layer.describe() + "\0" + identity;
    String name = com.google.common.hash.Hashing.sha256().hashString(key, StandardCharsets.UTF_8).toString().substring(0, 40);
    return indexDir().resolve(name);
  }

  /** The directory of index entries, beside the kernel's own work directories. */
  Path indexDir() {
    return work.resolve("strata-index");
  }

  /** The xattr on an indexed file that holds its link count in the union. */
  String nlinkXattr() {
    return prefix + "strata-nlink";
  }

  /** Returns the union link count of an indexed file, or -1 if it is not one. */
  int unionNlink(Path file) throws IOException {
    byte[] v = host.getxattr(file, nlinkXattr());
    return v == null ? -1 : Integer.parseInt(new String(v, StandardCharsets.US_ASCII));
  }

  /** Sets the union link count of an indexed file. */
  void setUnionNlink(Path file, int nlink) throws IOException {
    host.setxattr(file, nlinkXattr(), Integer.toString(nlink).getBytes(StandardCharsets.US_ASCII));
  }

  /** Returns whether the upper directory {@code rel} is opaque. */
  boolean isOpaque(String rel) throws IOException {
    byte[] v = host.getxattr(path(rel), prefix + "opaque");
    if (v != null && v.length == 1 && v[0] == 'y') {
      return true;
    }
    return Files.exists(path(rel).resolve(OPAQUE_MARKER), LinkOption.NOFOLLOW_LINKS);
  }

  /** Makes the upper directory {@code rel} opaque. */
  void setOpaque(String rel) throws IOException {
    host.setxattr(path(rel), prefix + "opaque", new byte[] {'y'});
  }

  /** Returns the redirect of {@code rel}, or null. */
  String redirect(String rel) throws IOException {
    byte[] v = host.getxattr(path(rel), prefix + "redirect");
    return v == null ? null : new String(v, StandardCharsets.UTF_8);
  }

  /** Records that the directory {@code rel} shows the lower directories of {@code target}. */
  void setRedirect(String rel, String target) throws IOException {
    host.setxattr(path(rel), prefix + "redirect", target.getBytes(StandardCharsets.UTF_8));
  }

  /** Returns whether the upper file {@code rel} holds metadata only. */
  boolean isMetacopy(String rel) throws IOException {
    return host.getxattr(path(rel), prefix + "metacopy") != null;
  }

  void setMetacopy(Path file) throws IOException {
    host.setxattr(file, prefix + "metacopy", new byte[0]);
  }

  void clearMetacopy(String rel) throws IOException {
    host.removexattr(path(rel), prefix + "metacopy");
  }

  /**
   * Returns the name a user's xattr is kept under: one in the overlay's namespace is escaped,
   * {@code overlay.X} to {@code overlay.overlay.X} (overlayfs since Linux 6.7, so that overlays
   * nest), and so never reads or writes the overlay's own marks.
   */
  String escapeXattr(String name) {
    return name.startsWith(prefix) ? prefix + "overlay." + name.substring(prefix.length()) : name;
  }

  /** Returns the name a user sees for a kept xattr; null for the overlay's own, which are hidden. */
  String unescapeXattr(String kept) {
    if (rootless && kept.equals(OVERRIDE)) {
      return null; // the engine's own, in a rootless upper
    }
    if (!kept.startsWith(prefix)) {
      return kept;
    }
    String rest = kept.substring(prefix.length());
    return rest.startsWith("overlay.") ? prefix + rest.substring("overlay.".length()) : null;
  }

  /** Lists the names in the upper directory {@code rel}: entries and whited-out names apart. */
  Listing list(String rel) throws IOException {
    List<String> names = new ArrayList<>();
    List<String> whiteouts = new ArrayList<>();
    try (Stream<Path> children = Files.list(path(rel))) {
      for (Path c : (Iterable<Path>) children::iterator) {
        String n = c.getFileName().toString();
        if (n.equals(OPAQUE_MARKER)) {
          continue;
        }
        if (n.startsWith(WHITEOUT_PREFIX)) {
          whiteouts.add(n.substring(WHITEOUT_PREFIX.length()));
          continue;
        }
        Map<String, Object> attrs = Files.readAttributes(c, "unix:mode,rdev", LinkOption.NOFOLLOW_LINKS);
        if (isWhiteout(attrs)) {
          whiteouts.add(n);
        } else {
          names.add(n);
        }
      }
    } catch (NoSuchFileException e) {
      // not (or no longer) there: nothing in it
    }
    return new Listing(names, whiteouts);
  }

  /** The names of an upper directory. */
  record Listing(List<String> names, List<String> whiteouts) {}

  /** Returns the attributes of an upper file as getattr reports them. */
  static Attr attr(Map<String, Object> a, long ino) {
    long rdev = (Long) a.get("rdev");
    return new Attr(ino, (Integer) a.get("mode"), (Integer) a.get("nlink"), (Integer) a.get("uid"),
        (Integer) a.get("gid"), major(rdev), minor(rdev), (Long) a.get("size"), blocks(a),
        nanos((FileTime) a.get("lastAccessTime")), nanos((FileTime) a.get("lastModifiedTime")),
        nanos((FileTime) a.get("ctime")));
  }

  private static long blocks(Map<String, Object> a) {
    // The JDK does not expose st_blocks; a sparse-aware count would need a native stat.
    long size = (Long) a.get("size");
    return (size + 511) / 512;
  }

  static long nanos(FileTime t) {
    java.time.Instant i = t.toInstant();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  static int major(long rdev) {
    return (int) (((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL));
  }

  static int minor(long rdev) {
    return (int) ((rdev & 0xff) | ((rdev >>> 12) & ~0xffL));
  }
}
