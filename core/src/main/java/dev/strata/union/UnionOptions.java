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
 * @param uids the user ids callers see and give, against those the layers and upper hold
 *     (fuse-overlayfs's uidmapping=)
 * @param gids the same for group ids (gidmapping=)
 */
public record UnionOptions(Privileges privileges, boolean readOnly, boolean redirectDir, boolean metacopy,
    IdMap uids, IdMap gids) {
  public UnionOptions {
    checkNotNull(privileges, "privileges");
    checkNotNull(uids, "uids");
    checkNotNull(gids, "gids");
  }

  /** Options that show every id as it is stored. */
  public UnionOptions(Privileges privileges, boolean readOnly, boolean redirectDir, boolean metacopy) {
    this(privileges, readOnly, redirectDir, metacopy, IdMap.IDENTITY, IdMap.IDENTITY);
  }

  /** Read-write, redirect_dir=on, metacopy=on. */
  public static UnionOptions defaults(Privileges privileges) {
    return new UnionOptions(privileges, false, true, true);
  }

  /** These options with ids shown and taken through {@code newUids} and {@code newGids}. */
  public UnionOptions withIds(IdMap newUids, IdMap newGids) {
    return new UnionOptions(privileges, readOnly, redirectDir, metacopy, newUids, newGids);
  }
}
