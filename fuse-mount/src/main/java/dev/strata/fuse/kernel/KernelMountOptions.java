package dev.strata.fuse.kernel;

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
 * @param dev honour device nodes (otherwise MS_NODEV)
 * @param suid honour set-user-id bits (otherwise MS_NOSUID)
 * @param entryTimeout seconds the kernel may keep a name
 * @param attrTimeout seconds the kernel may keep attributes
 * @param negativeTimeout seconds the kernel may keep the absence of a name (0: not at all)
 * @param threads how many threads read requests from the device; each request goes to one
 * @param readdirPlus whether listings carry each entry's attributes (one engine lookup each)
 * @param flags further mount(2) flags asked for by name ({@link #flagOf}: noexec, noatime, ...)
 */
public record KernelMountOptions(String fsName, boolean readOnly, boolean allowOther, boolean defaultPermissions,
    boolean dev, boolean suid, double entryTimeout, double attrTimeout, double negativeTimeout, int threads,
    ReaddirPlus readdirPlus, long flags) {

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

  /** Read-write, default_permissions, allow_other, 1 s timeouts, two threads, readdirplus auto. */
  public static KernelMountOptions defaults(String fsName) {
    return new KernelMountOptions(fsName, false, true, true, false, false, 1.0, 1.0, 1.0, 2, ReaddirPlus.AUTO, 0);
  }

  /** The mount(2) flag of a mount option's name (noexec, noatime, ...), 0 for one that is none. */
  public static long flagOf(String option) {
    return switch (option) {
      case "noexec" -> 8; // MS_NOEXEC
      case "sync" -> 16; // MS_SYNCHRONOUS
      case "dirsync" -> 128; // MS_DIRSYNC
      case "noatime" -> 1024; // MS_NOATIME
      case "nodiratime" -> 2048; // MS_NODIRATIME
      case "relatime" -> 1 << 21; // MS_RELATIME
      case "strictatime" -> 1 << 24; // MS_STRICTATIME
      default -> 0;
    };
  }

  public KernelMountOptions withFlags(long more) {
    return new KernelMountOptions(fsName, readOnly, allowOther, defaultPermissions, dev, suid, entryTimeout,
        attrTimeout, negativeTimeout, threads, readdirPlus, flags | more);
  }

  public KernelMountOptions withReadOnly(boolean ro) {
    return new KernelMountOptions(fsName, ro, allowOther, defaultPermissions, dev, suid, entryTimeout, attrTimeout,
        negativeTimeout, threads, readdirPlus, flags);
  }

  public KernelMountOptions withThreads(int n) {
    return new KernelMountOptions(fsName, readOnly, allowOther, defaultPermissions, dev, suid, entryTimeout,
        attrTimeout, negativeTimeout, n, readdirPlus, flags);
  }

  public KernelMountOptions withTimeouts(double entry, double attr, double negative) {
    return new KernelMountOptions(fsName, readOnly, allowOther, defaultPermissions, dev, suid, entry, attr, negative,
        threads, readdirPlus, flags);
  }

  public KernelMountOptions withDevSuid(boolean devices, boolean setuid) {
    return new KernelMountOptions(fsName, readOnly, allowOther, defaultPermissions, devices, setuid, entryTimeout,
        attrTimeout, negativeTimeout, threads, readdirPlus, flags);
  }
}
