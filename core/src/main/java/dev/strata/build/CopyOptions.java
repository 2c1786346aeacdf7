package dev.strata.build;

import java.util.function.Predicate;

/**
 * How host files are copied into a layer, as a Containerfile's {@code COPY} takes them.
 *
 * @param uid the owner every copied file gets; null: root (0), as {@code COPY} without --chown
 * @param gid the group every copied file gets; null: the uid's value, or root
 * @param mode the permission bits every copied file gets; null: each file's own, as on the host
 * @param keepTimes whether files keep their host modification times, to the second (as the
 *     layers of docker and buildah carry them: a tar header holds whole seconds, and a finer
 *     time would cost a PAX record per file to write and to read); if not, they get the build's
 *     time, and a layer does not change when only a checkout's times did
 * @param include which paths, relative to the copied directory, are copied; null: all of them
 * @param descend which directories left out are walked all the same, since something below them
 *     may be included (an ignore file's exception); null: none
 */
public record CopyOptions(Long uid, Long gid, Integer mode, boolean keepTimes, Predicate<String> include,
    Predicate<String> descend) {
  /** Root's, host permissions, the build's time, everything. */
  public static final CopyOptions DEFAULTS = new CopyOptions(null, null, null, false, null, null);

  public CopyOptions withOwner(long newUid, long newGid) {
    return new CopyOptions(newUid, newGid, mode, keepTimes, include, descend);
  }

  public CopyOptions withMode(int newMode) {
    return new CopyOptions(uid, gid, newMode, keepTimes, include, descend);
  }

  public CopyOptions withKeepTimes(boolean keep) {
    return new CopyOptions(uid, gid, mode, keep, include, descend);
  }

  /** Copies only what {@code filter} includes, walking left-out directories that {@code walk} names. */
  public CopyOptions withInclude(Predicate<String> filter, Predicate<String> walk) {
    return new CopyOptions(uid, gid, mode, keepTimes, filter, walk);
  }
}
