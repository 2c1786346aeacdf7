package dev.strata.fuse.kernel;

import java.util.List;

/**
 * How a union is served over {@code /dev/fuse}.
 *
 * <p>Long cache timeouts are safe here, unlike on most FUSE filesystems: lower layers never
 * change while mounted and every change to the upper goes through this mount, so what the kernel
 * caches is what the engine would answer. Hard links are one kernel inode (see
 * {@link NodeTable}), so no name of a file can show another name's stale attributes or pages.
 *
 * @param fsName the source column of the mount table
 * @param readOnly mount read-only (MS_RDONLY)
 * @param allowOther let every user in, not only the mounting one; containers run other users
 * @param defaultPermissions let the kernel check modes and owners, as overlayfs does
 * @param entryTimeout seconds the kernel may keep a name
 * @param attrTimeout seconds the kernel may keep attributes
 * @param negativeTimeout seconds the kernel may keep the absence of a name (0: not at all)
 * @param threads how many threads read requests from the device; each request goes to one
 * @param readdirPlus whether listings carry each entry's attributes (one engine lookup each)
 * @param flags the mount(2) flags besides MS_RDONLY (nosuid, nodev, noatime, ...; {@link MountFlags})
 * @param acl ask the kernel to check POSIX ACLs (FUSE_POSIX_ACL): it reads a file's
 *     {@code system.posix_acl_access} through GETXATTR for its permission checks, and after a
 *     change of an ACL drops the attributes it kept, since the host's filesystem changed the
 *     mode with it. It also makes the kernel check permissions itself (default_permissions)
 * @param passthrough let the kernel read, write and map a file in the host file that holds it
 *     (FUSE passthrough, Linux 6.9), where the kernel offers it and this process may register
 *     backing files (CAP_SYS_ADMIN in the host's user namespace); elsewhere, or off, every
 *     read and write is a request to this server ({@link Passthrough})
 */
public record KernelMountOptions(String fsName, boolean readOnly, boolean allowOther, boolean defaultPermissions,
    double entryTimeout, double attrTimeout, double negativeTimeout, int threads,
    ReaddirPlus readdirPlus, long flags, boolean acl, boolean passthrough) {

  /** When the kernel asks for listings with attributes. */
  public enum ReaddirPlus {
    /** Never: plain READDIR; a stat after a listing costs a LOOKUP per name. */
    OFF,
    /** The kernel decides (first batch of a listing, or when names of it were stat'ed). */
    AUTO,
    /** Every listing batch. */
    ALWAYS
  }

  public KernelMountOptions {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, not " + threads);
    }
    if (entryTimeout < 0 || attrTimeout < 0 || negativeTimeout < 0) {
      throw new IllegalArgumentException("timeouts cannot be negative");
    }
  }

  /**
   * Read-write, default_permissions, allow_other, nosuid and nodev (where libfuse starts), 1 s
   * timeouts, two threads, readdirplus auto, POSIX ACLs, passthrough where it can be had.
   */
  public static KernelMountOptions defaults(String fsName) {
    return new KernelMountOptions(fsName, false, true, true, 1.0, 1.0, 1.0, 2, ReaddirPlus.AUTO,
        MountFlags.LIBFUSE_START, true, true);
  }

  /** These options with mount options applied in order, a later one winning ({@link MountFlags}). */
  public KernelMountOptions withMountOptions(List<String> names) {
    return new KernelMountOptions(fsName, readOnly, allowOther, defaultPermissions, entryTimeout, attrTimeout,
        negativeTimeout, threads, readdirPlus, MountFlags.apply(flags, names), acl, passthrough);
  }

  public KernelMountOptions withAllowOther(boolean on) {
    return new KernelMountOptions(fsName, readOnly, on, defaultPermissions, entryTimeout, attrTimeout,
        negativeTimeout, threads, readdirPlus, flags, acl, passthrough);
  }

  public KernelMountOptions withReadOnly(boolean ro) {
    return new KernelMountOptions(fsName, ro, allowOther, defaultPermissions, entryTimeout, attrTimeout,
        negativeTimeout, threads, readdirPlus, flags, acl, passthrough);
  }

  public KernelMountOptions withThreads(int n) {
    return new KernelMountOptions(fsName, readOnly, allowOther, defaultPermissions, entryTimeout,
        attrTimeout, negativeTimeout, n, readdirPlus, flags, acl, passthrough);
  }

  public KernelMountOptions withTimeouts(double entry, double attr, double negative) {
    return new KernelMountOptions(fsName, readOnly, allowOther, defaultPermissions, entry, attr, negative,
        threads, readdirPlus, flags, acl, passthrough);
  }

  public KernelMountOptions withPassthrough(boolean on) {
    return new KernelMountOptions(fsName, readOnly, allowOther, defaultPermissions, entryTimeout, attrTimeout,
        negativeTimeout, threads, readdirPlus, flags, acl, on);
  }

  public KernelMountOptions withAcl(boolean on) {
    return new KernelMountOptions(fsName, readOnly, allowOther, defaultPermissions, entryTimeout, attrTimeout,
        negativeTimeout, threads, readdirPlus, flags, on, passthrough);
  }
}
