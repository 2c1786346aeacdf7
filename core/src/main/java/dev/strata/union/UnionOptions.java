package dev.strata.union;

import static com.google.common.base.Preconditions.checkNotNull;

import dev.strata.host.Privileges;

/**
 * How a union behaves, as overlayfs mount options say it.
 *
 * @param privileges what the process may do to the upper, which decides its format (device or
 *     {@code .wh.} whiteouts, real owners or an override xattr, trusted or user overlay xattrs)
 * @param readOnly no upper: every change answers EROFS
 * @param redirectDir rename lower and merged directories by recording a redirect (the kernel's
 *     redirect_dir=on) instead of answering EXDEV
 * @param metacopy metadata-only changes of lower files copy no data until the first write
 */
public record UnionOptions(Privileges privileges, boolean readOnly, boolean redirectDir, boolean metacopy) {
  public UnionOptions {
    checkNotNull(privileges, "privileges");
  }

  /** Read-write, redirect_dir=on, metacopy=on. */
  public static UnionOptions defaults(Privileges privileges) {
    return new UnionOptions(privileges, false, true, true);
  }
}
