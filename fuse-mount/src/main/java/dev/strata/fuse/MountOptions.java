package dev.strata.fuse;

import dev.strata.host.Capabilities;
import java.util.ArrayList;
import java.util.List;

/**
 * How a union is served through FUSE: the options given to libfuse.
 *
 * <p>Always on: {@code use_ino} (st_ino and d_ino are the engine's stable numbers),
 * {@code big_writes} (128 KiB write requests instead of 4 KiB) and {@code auto_cache} (the page
 * cache of a file survives opens unless its size or mtime changed; {@code kernel_cache} would
 * keep stale pages for the other names of a hard-linked file, which libfuse's path API makes
 * separate kernel inodes). Not {@code hard_remove}: without it libfuse keeps a path to a file
 * unlinked while open, which the union answers with no file in the upper ({@link HiddenNames}).
 *
 * @param fsName the source column of the mount table
 * @param readOnly mount read-only ({@code ro})
 * @param allowOther let every user in, not only the one who mounted ({@code allow_other});
 *     containers run processes as other users
 * @param defaultPermissions let the kernel check modes and owners ({@code default_permissions})
 * @param attrTimeout seconds the kernel may keep attributes. Everything changes through this
 *     mount, so any value is safe for one name; but the names of one hard-linked file are
 *     separate kernel inodes under libfuse's path API, and a change through one name (its link
 *     count, a copy-up) reaches the others only when their attributes expire
 * @param entryTimeout seconds the kernel may keep names (and, as negative_timeout, absences)
 * @param singleThreaded serve requests on one thread ({@code -s}): on few cores the handoff
 *     between libfuse's threads costs more than it gains
 * @param mountOptions mount options in order, a later one winning over an earlier one as in
 *     libfuse ({@code suid}, {@code nodev}, {@code noatime}, ...): fuse-overlayfs's defaults
 *     first, then the caller's
 * @param acl the kernel checks POSIX ACLs (the {@code system.posix_acl_*} xattrs) as it does on
 *     the kernel's overlay and as fuse-overlayfs asks it to unless {@code noacl}; without, those
 *     xattrs are kept and shown but grant nothing. Over /dev/fuse only: libfuse 2 cannot ask
 * @param passthrough the kernel reads, writes and maps a file in the host file that holds it, no
 *     request to the server for each (FUSE passthrough: Linux 6.9 and later, a server with
 *     CAP_SYS_ADMIN in the host's user namespace; see docs/mounts.md). Over /dev/fuse only; a
 *     mount where the kernel or the privileges do not allow it is served as without
 */
public record MountOptions(FuseMount.Transport transport, String fsName, boolean readOnly, boolean allowOther,
    boolean defaultPermissions, double attrTimeout, double entryTimeout, boolean singleThreaded, boolean debug,
    List<String> mountOptions, boolean acl, boolean passthrough) {
  public MountOptions {
    mountOptions = List.copyOf(mountOptions);
  }

  /**
   * The mount options fuse-overlayfs 1.10 adds before the caller's (main.c, get_new_args), so
   * that an engine passing only lowerdir, upperdir and workdir gets the same mount from either.
   * As root: default_permissions, allow_other (fields of their own here), suid and noatime;
   * nodev stays on because libfuse starts from nosuid,nodev and fuse-overlayfs does not lift it
   * (engines give a container its own /dev). Otherwise default_permissions and noatime, and
   * fusermount adds nosuid,nodev. Its lazytime is left out: fuse-overlayfs drops that option
   * itself as unknown, so it never reaches the mount.
   */
  private static List<String> overlayDefaults(boolean root) {
    return root ? List.of("suid", "noatime") : List.of("noatime");
  }

  /**
   * What `strata mount` and strata-overlay use unless told otherwise: fuse-overlayfs's mount
   * options ({@link #overlayDefaults}). Over /dev/fuse the kernel may keep names and attributes
   * for an hour: lowers never change and every change to the upper comes through the mount, so
   * the kernel's cache stays what the engine would say
   * (fuse-overlayfs keeps them far longer). Over libfuse's path API the names of one hard-linked
   * file are separate kernel inodes, so attributes expire after a second there. Passthrough is
   * on unless {@code STRATA_FUSE_PASSTHROUGH} is {@code off} (or {@code 0}, {@code false}, {@code no}).
   */
  public static MountOptions defaults(String fsName) {
    FuseMount.Transport t = FuseMount.Transport.choose();
    double timeout = t == FuseMount.Transport.KERNEL ? 3600 : 1.0;
    boolean root = isRoot();
    return new MountOptions(t, fsName, false, root, true, timeout, timeout, t == FuseMount.Transport.LIBFUSE,
        false, overlayDefaults(root), true, passthroughByDefault());
  }

  /** Passthrough unless the environment's {@code STRATA_FUSE_PASSTHROUGH} says off. */
  public static boolean passthroughByDefault() {
    return passthroughByDefault(System.getenv("STRATA_FUSE_PASSTHROUGH"));
  }

  /** Passthrough unless {@code env} is off, 0, false or no. */
  static boolean passthroughByDefault(String env) {
    return env == null || !List.of("off", "0", "false", "no").contains(env.trim().toLowerCase(java.util.Locale.ROOT));
  }

  public MountOptions withReadOnly(boolean ro) {
    return new MountOptions(transport, fsName, ro, allowOther, defaultPermissions, attrTimeout, entryTimeout, singleThreaded,
        debug, mountOptions, acl, passthrough);
  }

  /** These options with {@code more} mount options after them, so that they win. */
  public MountOptions withMountOptions(List<String> more) {
    List<String> all = new ArrayList<>(mountOptions);
    all.addAll(more);
    return new MountOptions(transport, fsName, readOnly, allowOther, defaultPermissions, attrTimeout, entryTimeout,
        singleThreaded, debug, all, acl, passthrough);
  }

  public MountOptions withDebug(boolean on) {
    return new MountOptions(transport, fsName, readOnly, allowOther, defaultPermissions, attrTimeout, entryTimeout,
        singleThreaded, on, mountOptions, acl, passthrough);
  }

  public MountOptions withPassthrough(boolean on) {
    return new MountOptions(transport, fsName, readOnly, allowOther, defaultPermissions, attrTimeout, entryTimeout,
        singleThreaded, debug, mountOptions, acl, on);
  }

  public MountOptions withAcl(boolean on) {
    return new MountOptions(transport, fsName, readOnly, allowOther, defaultPermissions, attrTimeout, entryTimeout,
        singleThreaded, debug, mountOptions, on, passthrough);
  }

  /**
   * Whether the mount gets fuse-overlayfs's defaults for root: uid 0, in whatever user namespace,
   * as fuse-overlayfs decides it (getuid() == 0); rootless podman's mounts run as root of its
   * user namespace and get allow_other so that the container's other users reach the mount.
   */
  static boolean isRoot() {
    return Capabilities.ofProcess().euid() == 0;
  }

  /** The arguments after libfuse's own "-f MOUNTPOINT". */
  String[] libfuseArgs() {
    List<String> o = new ArrayList<>();
    // A comma would end the option: libfuse reads a backslash-escaped one as part of the value.
    o.add("fsname=" + fsName.replace("\\", "\\\\").replace(",", "\\,"));
    o.add("subtype=strata");
    o.addAll(List.of("use_ino", "big_writes", "auto_cache"));
    o.add("attr_timeout=" + attrTimeout);
    o.add("entry_timeout=" + entryTimeout);
    o.add("negative_timeout=" + entryTimeout);
    if (readOnly) {
      o.add("ro");
    }
    if (allowOther) {
      o.add("allow_other");
    }
    if (defaultPermissions) {
      o.add("default_permissions");
    }
    for (String m : mountOptions) {
      // libfuse knows atime and noatime only; without noatime the kernel's default is relatime
      o.add(m.equals("relatime") ? "atime" : m);
    }
    List<String> args = new ArrayList<>(List.of("-o", String.join(",", o)));
    if (singleThreaded) {
      args.add("-s");
    }
    return args.toArray(String[]::new);
  }
}
