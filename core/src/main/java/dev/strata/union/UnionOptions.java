package dev.strata.union;

import static com.google.common.base.Preconditions.checkNotNull;

/**
 * How a union behaves, as overlayfs mount options say it.
 *
 * @param host the host calls used on the upper and work directories
 * @param readOnly no upper: every change answers EROFS
 * @param redirectDir rename lower and merged directories by recording a redirect (the kernel's
 *     redirect_dir=on) instead of answering EXDEV
 * @param metacopy metadata-only changes of lower files copy no data until the first write
 */
public record UnionOptions(HostFiles host, boolean readOnly, boolean redirectDir, boolean metacopy) {
  public UnionOptions {
    checkNotNull(host, "host");
  }

  /** Read-write, redirect_dir=on, metacopy=on. */
  public static UnionOptions defaults(HostFiles host) {
    return new UnionOptions(host, false, true, true);
  }
}
