package dev.strata.host;

import dev.strata.overlay.Whiteouts;

/**
 * What this process may do to host files, which decides how an upper directory keeps what the
 * union shows: device nodes (the kernel's char 0/0 whiteouts need mknod), any owner (chown),
 * and the overlay's own xattrs in {@code trusted.*} (CAP_SYS_ADMIN) or else in {@code user.*}
 * (the kernel's userxattr convention).
 *
 * @param mknod device nodes can be made
 * @param chown files can be given any owner; without it owners and modes live in an override
 *     xattr, as fuse-overlayfs and containers/storage keep them
 * @param trustedXattrs {@code trusted.*} xattrs can be read and written
 */
public record Privileges(boolean mknod, boolean chown, boolean trustedXattrs) {
  /** Everything: root in the initial user namespace. */
  public static final Privileges ROOT = new Privileges(true, true, true);
  /** Nothing beyond the files' owner: a rootless upper. */
  public static final Privileges UNPRIVILEGED = new Privileges(false, false, false);

  /**
   * Returns this process's, from its capabilities ({@link Capabilities}): device nodes and
   * {@code trusted.*} xattrs need CAP_MKNOD and CAP_SYS_ADMIN in the host's user namespace (root
   * of a user namespace has neither on host files), owners need CAP_CHOWN and ids to give.
   */
  public static Privileges ofProcess() {
    return of(Capabilities.ofProcess());
  }

  /** Returns what a process with {@code caps} may do. */
  public static Privileges of(Capabilities caps) {
    boolean host = caps.initialUserNamespace();
    return new Privileges(host && caps.has(Capabilities.CAP_MKNOD), caps.canChown(),
        host && caps.has(Capabilities.CAP_SYS_ADMIN));
  }

  /** The prefix of the overlay's private xattrs in an upper written with these privileges. */
  public String overlayXattrPrefix() {
    return Whiteouts.xattrPrefix(trustedXattrs);
  }
}
