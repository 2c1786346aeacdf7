package dev.strata.layer;

import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableSortedMap;
import dev.strata.digest.Digest;
import dev.strata.overlay.Whiteouts;

/**
 * One entry of a layer, as its tar holds it, with where its bytes live.
 *
 * @param path the entry's name, normalized: relative, no {@code ./} prefix or trailing slash;
 *     the layer's root directory is the empty path
 * @param kind what the entry is
 * @param mode permission bits with setuid, setgid and sticky (07777)
 * @param mtimeSeconds modification time, seconds since the epoch
 * @param mtimeNanos nanoseconds within that second (PAX headers carry them)
 * @param size the content length of a regular file; 0 for everything else
 * @param linkTarget a symlink's target (never resolved) or a hard link's path; else null
 * @param object the sha256 of a regular file's (or hard link's) content in the store's objects
 * @param linkGroup entries with the same non-zero group are one inode (hard links)
 * @param xattrs extended attributes, binary values kept exactly
 */
public record LayerEntry(
    String path,
    EntryKind kind,
    int mode,
    long uid,
    long gid,
    String uname,
    String gname,
    long mtimeSeconds,
    int mtimeNanos,
    long size,
    String linkTarget,
    int devMajor,
    int devMinor,
    Digest object,
    int linkGroup,
    ImmutableSortedMap<String, Bytes> xattrs) {

  public LayerEntry {
    checkNotNull(path, "path");
    checkNotNull(kind, "kind");
    uname = uname == null ? "" : uname;
    gname = gname == null ? "" : gname;
    xattrs = xattrs == null ? ImmutableSortedMap.of() : xattrs;
  }

  /**
   * Returns the path this entry acts on: the path itself, the deleted path for a whiteout, or
   * the directory for an opaque marker.
   */
  public String target() {
    return switch (kind) {
      case WHITEOUT -> Paths.join(Paths.parent(path), Whiteouts.deletedName(Paths.name(path)));
      case OPAQUE -> Paths.parent(path);
      default -> path;
    };
  }

  /** Returns the full mode as stat(2) gives it: type bits plus permission bits. */
  public int statMode() {
    int type = switch (kind) {
      case DIRECTORY -> 0040000;
      case SYMLINK -> 0120000;
      case CHAR_DEVICE -> 0020000;
      case BLOCK_DEVICE -> 0060000;
      case FIFO -> 0010000;
      default -> 0100000;
    };
    return type | (mode & 07777);
  }
}
