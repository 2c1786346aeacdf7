package dev.strata.union;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import dev.strata.host.Privileges;
import java.util.OptionalLong;

/**
 * How a union behaves, as overlayfs mount options say it, and fuse-overlayfs's own options
 * where a container engine passes them.
 *
 * @param privileges what the process may do to the upper, which decides its format (device or
 *     {@code .wh.} whiteouts, real owners or an override xattr, trusted or user overlay xattrs)
 * @param readOnly no upper: every change answers EROFS
 * @param redirectDir rename lower and merged directories by recording a redirect (the kernel's
 *     redirect_dir=on) instead of answering EXDEV; never in an upper without {@code trusted.*}
 *     xattrs (see below)
 * @param metacopy metadata-only changes of lower files copy no data until the first write;
 *     never in an upper without {@code trusted.*} xattrs: the kernel's {@code userxattr} format
 *     has neither (the kernel refuses userxattr with redirect_dir=on or metacopy=on, and will
 *     not follow a {@code user.overlay.redirect} it finds), so an upper that had them would show
 *     the kernel, and rootless podman's native overlay, a directory it refuses and files without
 *     their data
 * @param uids the user ids callers see and give, against those the layers and upper hold
 *     (fuse-overlayfs's uidmapping=)
 * @param gids the same for group ids (gidmapping=)
 * @param squashUid when present, the owner every file shows whatever it stores
 *     (fuse-overlayfs's squash_to_uid=, and squash_to_root's 0); the ids a caller gives still go
 *     through {@code uids}
 * @param squashGid the same for the group (squash_to_gid=, squash_to_root)
 * @param staticNlink every directory shows one link (fuse-overlayfs's static_nlink), not its
 *     count: 1 tells find(1) and friends not to rely on the count
 * @param xattrs extended attributes can be read and written; without them (fuse-overlayfs's
 *     noxattrs=1) every xattr call answers ENOSYS, which the kernel turns into EOPNOTSUPP for
 *     the caller and remembers, asking no more
 * @param fsync fsync and fdatasync reach the upper's disk; without (fuse-overlayfs's fsync=0
 *     and volatile, the kernel overlay's volatile) they succeed at once, the data reaching the
 *     disk when the kernel writes it back
 */
public record UnionOptions(Privileges privileges, boolean readOnly, boolean redirectDir, boolean metacopy,
    IdMap uids, IdMap gids, OptionalLong squashUid, OptionalLong squashGid, boolean staticNlink, boolean xattrs,
    boolean fsync) {
  public UnionOptions {
    checkNotNull(privileges, "privileges");
    redirectDir &= privileges.trustedXattrs();
    metacopy &= privileges.trustedXattrs();
    checkNotNull(uids, "uids");
    checkNotNull(gids, "gids");
    checkNotNull(squashUid, "squashUid");
    checkNotNull(squashGid, "squashGid");
    checkArgument(squashUid.isEmpty() || isId(squashUid.getAsLong()), "no such user id: %s", squashUid);
    checkArgument(squashGid.isEmpty() || isId(squashGid.getAsLong()), "no such group id: %s", squashGid);
  }

  /** Options that show every id as it is stored, with xattrs, fsync and counted links. */
  public UnionOptions(Privileges privileges, boolean readOnly, boolean redirectDir, boolean metacopy) {
    this(privileges, readOnly, redirectDir, metacopy, IdMap.IDENTITY, IdMap.IDENTITY, OptionalLong.empty(),
        OptionalLong.empty(), false, true, true);
  }

  /** Read-write, redirect_dir=on, metacopy=on. */
  public static UnionOptions defaults(Privileges privileges) {
    return new UnionOptions(privileges, false, true, true);
  }

  private static boolean isId(long id) {
    return id >= 0 && id <= IdMap.MAX_ID;
  }

  public UnionOptions withReadOnly(boolean ro) {
    return new UnionOptions(privileges, ro, redirectDir, metacopy, uids, gids, squashUid, squashGid, staticNlink,
        xattrs, fsync);
  }

  public UnionOptions withRedirectDir(boolean on) {
    return new UnionOptions(privileges, readOnly, on, metacopy, uids, gids, squashUid, squashGid, staticNlink,
        xattrs, fsync);
  }

  /** These options with ids shown and taken through {@code newUids} and {@code newGids}. */
  public UnionOptions withIds(IdMap newUids, IdMap newGids) {
    return new UnionOptions(privileges, readOnly, redirectDir, metacopy, newUids, newGids, squashUid, squashGid,
        staticNlink, xattrs, fsync);
  }

  /** These options with every owner shown as {@code uid} and {@code gid}, where present. */
  public UnionOptions withSquash(OptionalLong uid, OptionalLong gid) {
    return new UnionOptions(privileges, readOnly, redirectDir, metacopy, uids, gids, uid, gid, staticNlink, xattrs,
        fsync);
  }

  public UnionOptions withStaticNlink(boolean on) {
    return new UnionOptions(privileges, readOnly, redirectDir, metacopy, uids, gids, squashUid, squashGid, on,
        xattrs, fsync);
  }

  public UnionOptions withXattrs(boolean on) {
    return new UnionOptions(privileges, readOnly, redirectDir, metacopy, uids, gids, squashUid, squashGid,
        staticNlink, on, fsync);
  }

  public UnionOptions withFsync(boolean on) {
    return new UnionOptions(privileges, readOnly, redirectDir, metacopy, uids, gids, squashUid, squashGid,
        staticNlink, xattrs, on);
  }
}
