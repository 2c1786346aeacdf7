package dev.strata.union;

import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import java.util.OptionalLong;

/**
 * The one place where the ids a union's callers see and give meet the ids it stores: the
 * owners getattr and setattr answer with go out through {@link UnionOptions#uids()} and
 * {@link UnionOptions#gids()}, and the ids a caller gives (the creator of a new file, the owner
 * of a chown) come back through them. Everything inside the engine, the commit among it, sees
 * stored ids only. Both FUSE transports call the engine, so both map alike.
 *
 * <p>A squashed owner ({@link UnionOptions#squashUid()}, {@link UnionOptions#squashGid()})
 * replaces the mapped one in what goes out, as fuse-overlayfs's find_mapping puts squash_to_uid
 * and squash_to_gid before squash_to_root and all three before uidmapping; what comes in is
 * mapped as ever, so a chown still records its owner in the upper, where a commit finds it,
 * though the mount goes on showing the squashed one.
 */
final class CallerIds {
  private final IdMap uids;
  private final IdMap gids;
  private final OptionalLong squashUid;
  private final OptionalLong squashGid;
  private final boolean identity;
  private final boolean shownAsStored;

  CallerIds(UnionOptions options) {
    this.uids = options.uids();
    this.gids = options.gids();
    this.squashUid = options.squashUid();
    this.squashGid = options.squashGid();
    this.identity = uids.isIdentity() && gids.isIdentity();
    this.shownAsStored = identity && squashUid.isEmpty() && squashGid.isEmpty();
  }

  /** {@code a} with its owner as callers see it. */
  Attr shown(Attr a) {
    if (shownAsStored) {
      return a;
    }
    long uid = squashUid.isPresent() ? squashUid.getAsLong() : uids.shown(a.uid());
    long gid = squashGid.isPresent() ? squashGid.getAsLong() : gids.shown(a.gid());
    return new Attr(a.ino(), a.mode(), a.nlink(), uid, gid, a.rdevMajor(), a.rdevMinor(), a.size(), a.blocks(),
        a.atimeNanos(), a.mtimeNanos(), a.ctimeNanos());
  }

  /** The caller as the upper is to record it: EOVERFLOW when its ids have no stored ids. */
  Ctx stored(Ctx caller) throws ErrnoException {
    if (identity) {
      return caller;
    }
    return new Ctx(stored(uids, caller.uid(), "user"), stored(gids, caller.gid(), "group"));
  }

  /** {@code change} with the owner it gives as stored: EOVERFLOW when that has no stored id. */
  SetAttr stored(SetAttr change) throws ErrnoException {
    if (identity || (change.uid() == null && change.gid() == null)) {
      return change;
    }
    Long uid = change.uid() == null ? null : stored(uids, change.uid(), "user");
    Long gid = change.gid() == null ? null : stored(gids, change.gid(), "group");
    return new SetAttr(change.mode(), uid, gid, change.size(), change.atimeNanos(), change.mtimeNanos());
  }

  private static long stored(IdMap map, long shown, String kind) throws ErrnoException {
    OptionalLong id = map.stored(shown);
    if (id.isEmpty()) {
      throw new ErrnoException(Errno.EOVERFLOW, kind + " id " + shown + " is outside the mount's id map " + map);
    }
    return id.getAsLong();
  }
}
