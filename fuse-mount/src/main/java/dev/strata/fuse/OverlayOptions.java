package dev.strata.fuse;

import dev.strata.host.Privileges;
import dev.strata.union.IdMap;
import dev.strata.union.UnionOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The {@code -o} options of fuse-overlayfs, as container engines pass them to a
 * {@code mount_program}: {@code lowerdir=A:B} (top first), {@code upperdir=}, {@code workdir=},
 * FUSE mount options, and fuse-overlayfs's own options. Those that change what the mount shows
 * or does are honoured with fuse-overlayfs 1.10's meaning, in {@link #union()} or {@link #acl()};
 * those that only tune fuse-overlayfs itself (its caches, threads, inode checks) are accepted
 * with a warning rather than refused, so an engine's mount never fails on them.
 *
 * @param union the engine's options: read-only without an upper, and uidmapping=, gidmapping=,
 *     squash_to_root, squash_to_uid=, squash_to_gid=, static_nlink, noxattrs=, fsync=,
 *     volatile and redirect_dir= as given
 * @param acl the kernel checks POSIX ACLs (fuse-overlayfs asks it to unless noacl)
 * @param passthrough FUSE passthrough where it can be had ({@link MountOptions#passthrough}):
 *     Strata's own option, {@code nopassthrough} turns it off and {@code passthrough} on, over
 *     the default of {@link MountOptions#passthroughByDefault}
 * @param ignored the options accepted without an effect here, by name
 */
public record OverlayOptions(List<Path> lowerDirs, Path upperDir, Path workDir, List<String> fuseOptions,
    UnionOptions union, boolean acl, boolean passthrough, Set<String> ignored, boolean debug) {
  /** Mount options libfuse honours, passed through. */
  private static final Set<String> FUSE = Set.of("allow_other", "allow_root", "default_permissions", "dev", "nodev",
      "suid", "nosuid", "exec", "noexec", "atime", "noatime", "relatime", "norelatime", "strictatime", "nodiratime",
      "diratime", "sync", "async", "dirsync", "rw", "ro");
  /**
   * Options accepted with no effect (name before any '='): fuse-overlayfs's tuning (timeout,
   * threaded, fast_ino, writeback, max_idle_threads, the splice and cache options), the kernel
   * overlay's that fuse-overlayfs ignores too (index, metacopy, userxattr, xino, nfs_export),
   * what only a system with SELinux or plugins would feel (the context options, plugins),
   * xattr_permissions (owners kept in xattrs by a server without root: Strata's upper does that
   * its own way), and mount(8)'s own.
   */
  private static final Set<String> ACCEPTED = Set.of("timeout", "threaded", "fast_ino", "writeback", "plugins",
      "xattr_permissions", "context", "index", "metacopy", "userxattr", "xino", "max_idle_threads", "fsname",
      "subtype", "nfs_export", "fscontext", "defcontext", "rootcontext", "splice_write", "splice_move", "splice_read",
      "clone_fd", "kernel_cache", "auto_cache", "_netdev", "nofail", "x-systemd.automount", "user", "users");

  /** Parses the options of one or more {@code -o} arguments, for a server with this process's privileges. */
  public static OverlayOptions parse(List<String> optionStrings) {
    List<Path> lowers = new ArrayList<>();
    Path upper = null;
    Path work = null;
    List<String> fuse = new ArrayList<>();
    Set<String> ignored = new LinkedHashSet<>();
    boolean debug = false;
    UnionOptions union = UnionOptions.defaults(Privileges.ofProcess());
    IdMap uids = IdMap.IDENTITY;
    IdMap gids = IdMap.IDENTITY;
    OptionalLong squashUid = OptionalLong.empty();
    OptionalLong squashGid = OptionalLong.empty();
    boolean squashToRoot = false;
    boolean volatileUpper = false;
    boolean fsync = true;
    boolean acl = true;
    boolean passthrough = MountOptions.passthroughByDefault();
    for (String group : optionStrings) {
      for (String opt : split(group, ',', true)) {
        if (opt.isEmpty()) {
          continue;
        }
        int eq = opt.indexOf('=');
        String key = eq < 0 ? opt : opt.substring(0, eq);
        String value = eq < 0 ? null : opt.substring(eq + 1);
        switch (key) {
          case "lowerdir" -> {
            for (String d : split(require(key, value), ':', false)) {
              if (!d.isEmpty()) {
                lowers.add(Path.of(d));
              }
            }
          }
          case "upperdir" -> upper = Path.of(require(key, value));
          case "workdir" -> work = Path.of(require(key, value));
          case "debug" -> debug = true;
          case "uidmapping" -> uids = IdMap.parse(require(key, value));
          case "gidmapping" -> gids = IdMap.parse(require(key, value));
          case "squash_to_root" -> squashToRoot = true;
          case "squash_to_uid" -> squashUid = OptionalLong.of(id(key, value));
          case "squash_to_gid" -> squashGid = OptionalLong.of(id(key, value));
          case "static_nlink" -> union = union.withStaticNlink(true);
          case "noacl" -> acl = false;
          case "passthrough" -> passthrough = true;
          case "nopassthrough" -> passthrough = false;
          case "noxattrs" -> union = union.withXattrs(number(key, value) == 0);
          case "fsync" -> fsync = number(key, value) != 0;
          // fuse-overlayfs: "native overlay supports volatile to mean fsync=0", whatever fsync= says
          case "volatile" -> volatileUpper = true;
          case "redirect_dir" -> {
            union = union.withRedirectDir(redirectDir(require(key, value)));
            if (value.equals("on") && !union.redirectDir()) {
              throw new IllegalArgumentException("redirect_dir=on: an upper without trusted.* xattrs (rootless) holds no"
                  + " redirects, as the kernel's userxattr format has none");
            }
          }
          default -> {
            if (FUSE.contains(key)) {
              fuse.add(opt);
            } else if (ACCEPTED.contains(key)) {
              ignored.add(key);
            } else {
              throw new IllegalArgumentException("unknown option '" + opt + "'");
            }
          }
        }
      }
    }
    if (lowers.isEmpty()) {
      throw new IllegalArgumentException("no lowerdir= given");
    }
    if ((upper == null) != (work == null)) {
      throw new IllegalArgumentException(upper == null ? "workdir= without upperdir=" : "upperdir= needs workdir=");
    }
    // squash_to_uid= and squash_to_gid= come before squash_to_root, whatever their order here.
    if (squashToRoot) {
      squashUid = OptionalLong.of(squashUid.orElse(0));
      squashGid = OptionalLong.of(squashGid.orElse(0));
    }
    union = union.withReadOnly(upper == null || fuse.contains("ro")).withIds(uids, gids)
        .withSquash(squashUid, squashGid).withFsync(fsync && !volatileUpper);
    return new OverlayOptions(List.copyOf(lowers), upper, work, List.copyOf(fuse), union, acl, passthrough,
        Collections.unmodifiableSet(ignored), debug);
  }

  private static String require(String key, String value) {
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException(key + "= needs a value");
    }
    return value;
  }

  /** A number as fuse-overlayfs's "%d" takes it. */
  private static long number(String key, String value) {
    try {
      return Long.parseLong(require(key, value).strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + "=" + value + ": not a number", e);
    }
  }

  private static long id(String key, String value) {
    long id = number(key, value);
    if (id < 0 || id > 0xFFFF_FFFEL) {
      throw new IllegalArgumentException(key + "=" + value + ": ids run from 0 to 4294967294");
    }
    return id;
  }

  /**
   * off: renaming a lower or merged directory answers EXDEV, the only way fuse-overlayfs knows
   * (it refuses anything else); on: Strata records a redirect, as the kernel's overlay does.
   */
  private static boolean redirectDir(String value) {
    return switch (value) {
      case "on" -> true;
      case "off" -> false;
      default -> throw new IllegalArgumentException("redirect_dir=" + value + ": strata-overlay knows on and off");
    };
  }

  /**
   * Splits at {@code sep} not preceded by a backslash; {@code keepEscapes} leaves the escapes in
   * the parts, for a second split (a lower directory may hold an escaped ':' in an option list).
   */
  static List<String> split(String s, char sep, boolean keepEscapes) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        if (keepEscapes) {
          cur.append(c);
        }
        cur.append(s.charAt(++i));
      } else if (c == sep) {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return out;
  }

  /**
   * These options with relative directories taken from {@code cwd}: a shared server answers
   * callers that each have their own working directory (containers/storage names lower
   * directories relative to its own when the list would be too long for one page).
   */
  OverlayOptions resolvedAgainst(Path cwd) {
    return new OverlayOptions(lowerDirs.stream().map(cwd::resolve).toList(), upperDir == null ? null : cwd.resolve(upperDir),
        workDir == null ? null : cwd.resolve(workDir), fuseOptions, union, acl, passthrough, ignored, debug);
  }

  /** Whether the mount is read-only: no upper, or {@code ro} asked for. */
  public boolean readOnly() {
    return union.readOnly();
  }
}
