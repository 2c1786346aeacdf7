package dev.strata.union;

import static com.google.common.base.Preconditions.checkNotNull;

/**
 * What one lower layer holds at one path: that layer alone, before any merging.
 *
 * @param name the last component of the path; "" for the layer's root
 * @param type the file type; {@link FileType#WHITEOUT} marks a deletion of the name below
 * @param mode permission bits with setuid, setgid and sticky (07777)
 * @param size a regular file's length; a symlink's target length; a directory's size where
 *     the layer keeps one (a host directory; 0 in a store layer, as tars hold none); 0 otherwise
 * @param atimeSeconds the access time (a layer that keeps none gives the modification time)
 * @param identity the same for every name of one file in this layer (hard links), different for
 *     different files; stable for the layer's life
 * @param nlink how many names the file has in this layer (directories: 1 is fine, the engine
 *     counts)
 * @param opaque a directory that hides what the layers below hold at its path
 * @param implied a directory the layer holds only because entries lie in it, with no metadata
 *     of its own (a tar without the directory's entry); its attributes come from below
 * @param redirect for a renamed directory, where the layers below hold its content (an
 *     absolute path "/a/b" in the union, or a name in the same parent); else null
 */
public record LowerEntry(
    String name,
    FileType type,
    int mode,
    long uid,
    long gid,
    long size,
    long mtimeSeconds,
    int mtimeNanos,
    long atimeSeconds,
    int atimeNanos,
    int rdevMajor,
    int rdevMinor,
    long identity,
    int nlink,
    boolean opaque,
    boolean implied,
    String redirect) {
  public LowerEntry {
    checkNotNull(name, "name");
    checkNotNull(type, "type");
  }

  /** Returns whether this entry is a directory (implied or not). */
  public boolean isDirectory() {
    return type == FileType.DIRECTORY;
  }
}
