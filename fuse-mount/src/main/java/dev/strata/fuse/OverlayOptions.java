package dev.strata.fuse;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code -o} options of fuse-overlayfs, as container engines pass them to a
 * {@code mount_program}: {@code lowerdir=A:B} (top first), {@code upperdir=}, {@code workdir=},
 * FUSE mount options, and fuse-overlayfs's own tuning options. Those Strata does not implement
 * are accepted with a warning rather than refused, so an engine's mount never fails on them.
 */
public record OverlayOptions(List<Path> lowerDirs, Path upperDir, Path workDir, List<String> fuseOptions,
    Set<String> ignored, boolean debug) {
  /** Mount options libfuse honours, passed through. */
  private static final Set<String> FUSE = Set.of("allow_other", "allow_root", "default_permissions", "dev", "nodev",
      "suid", "nosuid", "exec", "noexec", "atime", "noatime", "relatime", "norelatime", "strictatime", "nodiratime",
      "diratime", "sync", "async", "dirsync", "rw", "ro");
  /** fuse-overlayfs options without an equivalent here (name before any '='). */
  private static final Set<String> ACCEPTED = Set.of("uidmapping", "gidmapping", "timeout", "threaded", "fsync",
      "fast_ino", "writeback", "noxattrs", "plugins", "volatile", "squash_to_root", "squash_to_uid",
      "squash_to_gid", "static_nlink", "noacl", "xattr_permissions", "context", "redirect_dir", "index", "metacopy",
      "userxattr", "xino", "max_idle_threads", "fsname", "subtype", "nfs_export", "fscontext", "defcontext",
      "rootcontext", "splice_write", "splice_move", "splice_read", "clone_fd", "kernel_cache", "auto_cache",
      "_netdev", "nofail", "x-systemd.automount", "user", "users");

  /** Parses the options of one or more {@code -o} arguments. */
  public static OverlayOptions parse(List<String> optionStrings) {
    List<Path> lowers = new ArrayList<>();
    Path upper = null;
    Path work = null;
    List<String> fuse = new ArrayList<>();
    Set<String> ignored = new LinkedHashSet<>();
    boolean debug = false;
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
    return new OverlayOptions(List.copyOf(lowers), upper, work, List.copyOf(fuse),
        java.util.Collections.unmodifiableSet(ignored), debug);
  }

  private static String require(String key, String value) {
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException(key + "= needs a value");
    }
    return value;
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

  /** Whether the mount is read-only: no upper, or {@code ro} asked for. */
  public boolean readOnly() {
    return upperDir == null || fuseOptions.contains("ro");
  }
}
