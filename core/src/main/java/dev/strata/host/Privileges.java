package dev.strata.host;

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

  /** Returns this process's: all of them as root, none otherwise. */
  public static Privileges ofProcess() {
    return Libc.CALLS.geteuid() == 0 ? ROOT : UNPRIVILEGED;
  }

  /** The prefix of the overlay's private xattrs in an upper written with these privileges. */
  public String overlayXattrPrefix() {
    return trustedXattrs ? "trusted.overlay." : "user.overlay.";
  }
}
