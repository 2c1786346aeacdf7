package dev.strata.union;

import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.FsStats;
import dev.strata.host.HostDir;
import dev.strata.host.HostPath;
import dev.strata.host.Names;
import dev.strata.host.Privileges;
import dev.strata.host.Stat;
import dev.strata.overlay.Whiteouts;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The upper directory in the kernel's format, and the work directory beside it.
 *
 * <p>Whiteouts are char 0/0 devices where the host can make them (any process since Linux
 * 5.8), else {@code .wh.NAME} files (as fuse-overlayfs writes them without privileges); both
 * are read either way. Opaque directories, redirects and metacopy marks are overlay xattrs
 * ({@code trusted.overlay.*} with CAP_SYS_ADMIN in the host's user namespace, else
 * {@code user.overlay.*}, the kernel's userxattr format); an opaque directory may also hold a
 * {@code .wh..wh..opq} file (the names are {@link Whiteouts}'s). Every call reaches the host
 * through {@link HostDir}: names byte for byte, errors with the host's errno.
 */
final class UpperDir implements Closeable {
  private final HostDir root;
  private final HostDir work;
  private final String prefix;
  private final boolean deviceWhiteouts;
  /** The whiteout inode device whiteouts are links to ({@link #deviceWhiteout}), made at the first. */
  private HostPath sharedWhiteout;
  private boolean shareWhiteouts = true;
  /** Rootless: owners, modes and device types live in {@link #OVERRIDE}, not in the inode. */
  private final boolean rootless;

  /** The xattr rootless container tools keep "uid:gid:mode:type" in. */
  static final String OVERRIDE = "user.containers.override_stat";

  UpperDir(Path root, Path work, Privileges privileges) throws IOException {
    this.root = HostDir.open(root);
    try {
      java.nio.file.Files.createDirectories(work);
      this.work = HostDir.open(work);
    } catch (IOException | RuntimeException e) {
      this.root.close();
      throw e;
    }
    this.prefix = privileges.overlayXattrPrefix();
    this.rootless = !privileges.chown();
    if (this.work.stat("work") == null) {
      this.work.mkdir("work", 0700);
    }
    removeLeftovers();
    this.deviceWhiteouts = privileges.mknod() || whiteoutDevicesWork(this.work);
  }

  /**
   * Whether the host lets this process make the kernel's whiteout, a char 0/0 device, without
   * the right to make devices: Linux allows it to anyone since 5.8, so that overlayfs in a user
   * namespace can whiteout. Tried in the work directory, as a probe leaves nothing in the upper.
   */
  private static boolean whiteoutDevicesWork(HostDir work) {
    HostPath probe = new HostPath(work, "work/whiteout-probe");
    try {
      probe.deleteIfExists();
      probe.mknod(Stat.S_IFCHR, Whiteouts.DEVICE_NUMBER, Whiteouts.DEVICE_NUMBER);
      probe.deleteIfExists();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Removes what an earlier union left in the work directory when it stopped half-way (a copy
   * staged and never renamed into place), as the kernel's overlay empties its work directory
   * at mount. Only names of this engine's temps ({@link #temp}) are touched.
   */
  private void removeLeftovers() throws IOException {
    for (HostDir.Entry e : work.list("work")) {
      if (e.name().startsWith("#")) {
        HostPath leftover = new HostPath(work, "work/" + e.name());
        if (e.type() == HostDir.Entry.DT_DIR) {
          for (HostDir.Entry inside : leftover.list()) {
            leftover.resolve(inside.name()).deleteIfExists();
          }
        }
        leftover.deleteIfExists();
      }
    }
  }

  /** Returns the host path of union path {@code rel}. */
  HostPath path(String rel) {
    return new HostPath(root, rel);
  }

  /** The prefix of the overlay's own xattrs in this upper. */
  String prefix() {
    return prefix;
  }

  /** Returns a fresh name in the work directory, for staging a copy-up or an exchange. */
  HostPath temp(String what) {
    return new HostPath(work, "work/#" + what + "-" + Long.toHexString(System.nanoTime()) + "-"
        + Long.toHexString(Thread.currentThread().getId()));
  }

  /** Returns the attributes of {@code rel} (not following links), or null if absent. */
  Stat stat(String rel) throws IOException {
    return stat(path(rel));
  }

  /** Returns the attributes of an upper or work file as the union shows them, or null if absent. */
  Stat stat(HostPath file) throws IOException {
    Stat a = file.stat();
    return a != null && rootless ? withOverride(file, a) : a;
  }

  /** Whether this upper keeps owners and modes in override xattrs (rootless). */
  boolean rootless() {
    return rootless;
  }

  /** The attributes with the override xattr's owner, mode and type in place of the host's. */
  private Stat withOverride(HostPath file, Stat host) throws IOException {
    Override o = override(file, host);
    if (o == null) {
      return host;
    }
    return host.withOwnerAndMode(o.uid(), o.gid(), o.typeBits() | o.mode(), o.major(), o.minor());
  }

  /** Owner, mode and type as a rootless upper records them. */
  record Override(long uid, long gid, int mode, int typeBits, int major, int minor) {
    String encode() {
      String type = switch (typeBits) {
        case Stat.S_IFDIR -> "dir";
        case Stat.S_IFLNK -> "symlink";
        case Stat.S_IFIFO -> "pipe";
        case Stat.S_IFSOCK -> "socket";
        case Stat.S_IFCHR -> "char-" + major + "-" + minor;
        case Stat.S_IFBLK -> "block-" + major + "-" + minor;
        default -> "file";
      };
      return uid + ":" + gid + ":" + String.format("%04o", mode & 07777) + ":" + type;
    }

    static Override decode(String text) {
      String[] f = text.split(":");
      if (f.length < 3) {
        return null;
      }
      int typeBits = Stat.S_IFREG;
      int major = 0;
      int minor = 0;
      if (f.length > 3) {
        String t = f[3];
        if (t.equals("dir")) {
          typeBits = Stat.S_IFDIR;
        } else if (t.equals("symlink")) {
          typeBits = Stat.S_IFLNK;
        } else if (t.equals("pipe")) {
          typeBits = Stat.S_IFIFO;
        } else if (t.equals("socket")) {
          typeBits = Stat.S_IFSOCK;
        } else if (t.startsWith("char-") || t.startsWith("block-")) {
          String[] d = t.split("-");
          typeBits = t.startsWith("char-") ? Stat.S_IFCHR : Stat.S_IFBLK;
          major = Integer.parseInt(d[1]);
          minor = Integer.parseInt(d[2]);
        }
      }
      return new Override(Long.parseLong(f[0]), Long.parseLong(f[1]), Integer.parseInt(f[2], 8) & 07777, typeBits,
          major, minor);
    }
  }

  private Override override(HostPath file, Stat host) throws IOException {
    if (host.isSymlink()) {
      return null; // symlinks cannot hold user xattrs
    }
    byte[] v = file.getxattr(OVERRIDE);
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
  void setOwner(HostPath file, long uid, long gid) throws IOException {
    if (!rootless) {
      file.chown(uid, gid);
      return;
    }
    Stat a = existing(file);
    if (a.isSymlink()) {
      return; // nowhere to keep it: rootless tools leave symlinks owned by the user
    }
    Override o = current(file, a);
    writeOverride(file, new Override(uid < 0 ? o.uid() : uid, gid < 0 ? o.gid() : gid, o.mode(), o.typeBits(),
        o.major(), o.minor()));
  }

  /** Sets the mode of an upper file (rootless: in the override xattr; the inode stays usable). */
  void setMode(HostPath file, int mode) throws IOException {
    if (!rootless) {
      file.chmod(mode & 07777);
      return;
    }
    Stat a = existing(file);
    if (a.isSymlink()) {
      return;
    }
    Override o = current(file, a);
    writeOverride(file, new Override(o.uid(), o.gid(), mode & 07777, o.typeBits(), o.major(), o.minor()));
    // The user who runs the union must still read and write what it keeps.
    file.chmod((mode & 0777) | (a.isDirectory() ? 0700 : 0600));
  }

  /** Makes a device node, fifo or socket (rootless: a plain file whose override says the type). */
  void makeNode(HostPath file, int mode, int major, int minor) throws IOException {
    if (!rootless) {
      // Root of a user namespace too: a fifo or socket is made, a device refused (EPERM) as
      // the kernel refuses it to that root.
      file.mknod(mode, major, minor);
      return;
    }
    file.createFile(0600);
    writeOverride(file, new Override(0, 0, mode & 07777, mode & Stat.S_IFMT, major, minor));
  }

  private static Stat existing(HostPath file) throws IOException {
    Stat a = file.stat();
    if (a == null) {
      throw new ErrnoException(Errno.ENOENT, file.toString());
    }
    return a;
  }

  private Override current(HostPath file, Stat a) throws IOException {
    Override o = override(file, a);
    if (o != null) {
      return o;
    }
    return new Override(a.uid(), a.gid(), a.mode() & 07777, a.type(), a.rdevMajor(), a.rdevMinor());
  }

  private void writeOverride(HostPath file, Override o) throws IOException {
    file.setxattr(OVERRIDE, o.encode().getBytes(StandardCharsets.US_ASCII));
  }

  /** Returns whether {@code rel} is whited out in the upper (a device whiteout or a .wh. file). */
  boolean whitedOut(String rel, Stat attrs) throws IOException {
    if (attrs != null) {
      return attrs.isWhiteout();
    }
    HostPath marker = whiteoutFile(rel);
    return marker != null && marker.exists();
  }

  /** The .wh. marker of {@code rel}; null when the marker's name would pass NAME_MAX. */
  private HostPath whiteoutFile(String rel) {
    int slash = rel.lastIndexOf('/');
    String marker = Whiteouts.whiteoutName(rel.substring(slash + 1));
    if (Names.length(marker) > Names.NAME_MAX) {
      return null;
    }
    return path(slash < 0 ? marker : rel.substring(0, slash) + "/" + marker);
  }

  /** Whites out {@code rel}, whose upper name must be free. */
  void whiteout(String rel) throws IOException {
    if (deviceWhiteouts) {
      deviceWhiteout(path(rel));
      return;
    }
    HostPath marker = whiteoutFile(rel);
    if (marker == null) {
      // fuse-overlayfs has the same limit where it writes .wh. files: 251 bytes a name.
      throw new ErrnoException(Errno.ENAMETOOLONG, "/" + Names.printable(rel) + ": no room for a .wh. whiteout marker");
    }
    try {
      marker.createFile(0600);
    } catch (ErrnoException e) {
      if (e.errno() != Errno.EEXIST) {
        throw e;
      }
      // already whited out
    }
  }

  /**
   * Makes {@code at} a device whiteout: another name of one whiteout inode kept in the work
   * directory, as the kernel's overlay has shared one since Linux 5.8. A link allocates no inode,
   * which mknod(2) does for every whiteout: on ext4 that is most of the cost of deleting a lower
   * file, and a deleted tree leaves one spent inode a name. Where links fail (a work directory on
   * another filesystem) each whiteout is a device of its own, as before. Whiteouts are known by
   * their type, never by their inode: a shared one is no hard link to the layer or to the union.
   */
  private synchronized void deviceWhiteout(HostPath at) throws IOException {
    if (shareWhiteouts) {
      try {
        if (sharedWhiteout == null) {
          HostPath made = temp("whiteout");
          made.mknod(Stat.S_IFCHR, Whiteouts.DEVICE_NUMBER, Whiteouts.DEVICE_NUMBER);
          sharedWhiteout = made;
        }
        sharedWhiteout.link(at);
        return;
      } catch (ErrnoException e) {
        switch (e.errno()) {
          // The name is taken, or there is no room for it: a device would meet the same.
          case EEXIST, ENOSPC, EDQUOT -> throw e;
          // The filesystem holds no more names of it (65,000 on ext4): a fresh one next time.
          case EMLINK -> sharedWhiteout = null;
          // Links do not go from the work directory to the upper here: a device each.
          case EXDEV, EPERM, EOPNOTSUPP -> shareWhiteouts = false;
          // Anything else (the shared one removed under us, a parent gone): make a new one
          // next time, and let mknod name what is wrong with this name, if anything is.
          default -> sharedWhiteout = null;
        }
      }
    }
    at.mknod(Stat.S_IFCHR, Whiteouts.DEVICE_NUMBER, Whiteouts.DEVICE_NUMBER);
  }

  /** Removes a whiteout of {@code rel}, of either kind, if there is one. */
  void removeWhiteout(String rel) throws IOException {
    Stat attrs = path(rel).stat();
    if (attrs != null && attrs.isWhiteout()) {
      path(rel).unlink();
    }
    HostPath marker = whiteoutFile(rel);
    if (marker != null) {
      marker.deleteIfExists();
    }
  }

  /**
   * Returns the index entry of a hard-linked lower file: named by the layer and the file's
   * identity in it, so that every name of the file finds the same entry, across mounts too.
   */
  HostPath indexEntry(LowerLayer layer, long identity) {
    String key = layer.describe() + "\0" + identity;
    String name = com.google.common.hash.Hashing.sha256().hashString(key, StandardCharsets.UTF_8).toString().substring(0, 40);
    return indexDir().resolve(name);
  }

  /** The directory of index entries, beside the kernel's own work directories. */
  HostPath indexDir() {
    return new HostPath(work, "strata-index");
  }

  /** The xattr on an indexed file that holds its link count in the union. */
  String nlinkXattr() {
    return prefix + "strata-nlink";
  }

  /** Returns the union link count of an indexed file, or -1 if it is not one. */
  int unionNlink(HostPath file) throws IOException {
    byte[] v = file.getxattr(nlinkXattr());
    return v == null ? -1 : Integer.parseInt(new String(v, StandardCharsets.US_ASCII));
  }

  /** Sets the union link count of an indexed file. */
  void setUnionNlink(HostPath file, int nlink) throws IOException {
    file.setxattr(nlinkXattr(), Integer.toString(nlink).getBytes(StandardCharsets.US_ASCII));
  }

  /** Returns whether the upper directory {@code rel} is opaque. */
  boolean isOpaque(String rel) throws IOException {
    byte[] v = path(rel).getxattr(prefix + Whiteouts.XATTR_OPAQUE);
    if (v != null && v.length == 1 && v[0] == 'y') {
      return true;
    }
    return path(rel).resolve(Whiteouts.OPAQUE_MARKER).exists();
  }

  /** Makes the upper directory {@code rel} opaque. */
  void setOpaque(String rel) throws IOException {
    path(rel).setxattr(prefix + Whiteouts.XATTR_OPAQUE, new byte[] {'y'});
  }

  /** Returns the redirect of {@code rel}, or null. */
  String redirect(String rel) throws IOException {
    byte[] v = path(rel).getxattr(prefix + Whiteouts.XATTR_REDIRECT);
    return v == null ? null : Names.decode(v);
  }

  /** Records that {@code file} shows the lower content of {@code target}. */
  void setRedirect(HostPath file, String target) throws IOException {
    file.setxattr(prefix + Whiteouts.XATTR_REDIRECT, Names.encode(target));
  }

  /** Returns whether the upper file {@code rel} holds metadata only. */
  boolean isMetacopy(String rel) throws IOException {
    return path(rel).getxattr(prefix + Whiteouts.XATTR_METACOPY) != null;
  }

  void setMetacopy(HostPath file) throws IOException {
    file.setxattr(prefix + Whiteouts.XATTR_METACOPY, new byte[0]);
  }

  void clearMetacopy(String rel) throws IOException {
    path(rel).removexattr(prefix + Whiteouts.XATTR_METACOPY);
  }

  /** Returns the name a user's xattr is kept under (see {@link Whiteouts#escapeXattr}). */
  String escapeXattr(String name) {
    return Whiteouts.escapeXattr(prefix, name);
  }

  /** Returns the name a user sees for a kept xattr; null for the overlay's own, which are hidden. */
  String unescapeXattr(String kept) {
    if (rootless && kept.equals(OVERRIDE)) {
      return null; // the engine's own, in a rootless upper
    }
    return Whiteouts.unescapeXattr(prefix, kept);
  }

  /** Lists the names in the upper directory {@code rel}: entries and whited-out names apart. */
  Listing list(String rel) throws IOException {
    List<String> names = new ArrayList<>();
    List<String> whiteouts = new ArrayList<>();
    List<HostDir.Entry> entries;
    try {
      entries = root.list(rel);
    } catch (ErrnoException e) {
      if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
        return new Listing(names, whiteouts); // not (or no longer) there: nothing in it
      }
      throw e;
    }
    for (HostDir.Entry c : entries) {
      String n = c.name();
      if (Whiteouts.isOpaqueMarker(n)) {
        continue;
      }
      if (Whiteouts.isWhiteoutName(n)) {
        whiteouts.add(Whiteouts.deletedName(n));
        continue;
      }
      boolean maybeDevice = c.type() == HostDir.Entry.DT_CHR || c.type() == HostDir.Entry.DT_UNKNOWN;
      Stat attrs = maybeDevice ? path(rel).resolve(n).stat() : null;
      if (attrs != null && attrs.isWhiteout()) {
        whiteouts.add(n);
      } else {
        names.add(n);
      }
    }
    return new Listing(names, whiteouts);
  }

  /** The names of an upper directory. */
  record Listing(List<String> names, List<String> whiteouts) {}

  /** statfs of the upper's filesystem. */
  FsStats statfs() throws IOException {
    return root.statfs();
  }

  /** Returns the attributes of an upper file as getattr reports them. */
  static Attr attr(Stat a, long ino) {
    return new Attr(ino, a.mode(), a.nlink(), a.uid(), a.gid(), a.rdevMajor(), a.rdevMinor(), a.size(), a.blocks(),
        a.atimeNanos(), a.mtimeNanos(), a.ctimeNanos());
  }

  @java.lang.Override
  public void close() {
    synchronized (this) {
      if (sharedWhiteout != null) {
        try {
          sharedWhiteout.deleteIfExists(); // the whiteouts keep the inode; the next mount would remove the name
        } catch (IOException ignored) {
          // a leftover '#' name, removed by the next mount of this upper
        }
        sharedWhiteout = null;
      }
    }
    root.close();
    work.close();
  }
}
