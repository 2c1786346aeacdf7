package dev.strata.build;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableSortedMap;
import java.time.Instant;

/**
 * The owner, permissions, time and extended attributes a file gets in a layer.
 *
 * @param mode permission bits with setuid, setgid and sticky (07777)
 * @param uid the owner's user id in the image
 * @param gid the owner's group id in the image
 * @param mtime the modification time; null: the build's time ({@link BuildOptions#timestamp()})
 * @param xattrs extended attributes, values as bytes
 */
public record FileAttributes(int mode, long uid, long gid, Instant mtime, ImmutableSortedMap<String, byte[]> xattrs) {
  /** What a directory a layer needs but nobody described gets: 0755, root's, the build's time. */
  public static final FileAttributes DIRECTORY = mode(0755);

  public FileAttributes {
    checkArgument((mode & ~07777) == 0, "mode %s has bits beyond 07777", Integer.toOctalString(mode));
    checkArgument(uid >= 0 && uid <= 0xffffffffL && gid >= 0 && gid <= 0xffffffffL, "owner %s:%s is out of range", uid, gid);
    xattrs = xattrs == null ? ImmutableSortedMap.of() : xattrs;
  }

  /** Returns {@code mode}, owned by root, at the build's time, without xattrs. */
  public static FileAttributes mode(int mode) {
    return new FileAttributes(mode, 0, 0, null, null);
  }

  public FileAttributes withOwner(long newUid, long newGid) {
    return new FileAttributes(mode, newUid, newGid, mtime, xattrs);
  }

  public FileAttributes withMode(int newMode) {
    return new FileAttributes(newMode, uid, gid, mtime, xattrs);
  }

  public FileAttributes withMtime(Instant time) {
    return new FileAttributes(mode, uid, gid, time, xattrs);
  }

  /** Returns these attributes with one more extended attribute (a binary value kept exactly). */
  public FileAttributes withXattr(String name, byte[] value) {
    java.util.TreeMap<String, byte[]> all = new java.util.TreeMap<>(xattrs);
    all.put(name, value.clone());
    return new FileAttributes(mode, uid, gid, mtime, ImmutableSortedMap.copyOfSorted(all));
  }
}
