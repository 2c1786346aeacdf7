package dev.strata.fuse.conformance;

import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Where fuse-overlayfs, the stand-in FUSE target, is known to answer otherwise than the kernel.
 * Strata must answer as the kernel does, so the tests expect the kernel's answer and skip only
 * when the FUSE mount program is fuse-overlayfs itself; with Strata's program they all run.
 *
 * <p>Seen with fuse-overlayfs 1.10 on Linux 6.x:
 * <ul>
 *   <li>{@link #RENAME_LOWER_DIRECTORY}
 *   <li>{@link #NAME_MAX_251}
 *   <li>{@link #DEEP_COPY_UP}
 *   <li>{@link #READ_ONLY_ACCESS}
 *   <li>{@link #ROOT_DOTDOT}
 *   <li>{@link #LINK_COUNT_AFTER_LINK}
 *   <li>{@link #LOOKUP_UNDER_NEW_DIRECTORY}
 *   <li>{@link #CHMOD_LOWER_FIFO}
 *   <li>{@link #SET_OVERLAY_XATTR}
 * </ul>
 */
final class KnownPeerDifferences {
  /** rename(2) of a directory that has lower content answers EXDEV; the kernel (redirect_dir=on) renames it. */
  static final String RENAME_LOWER_DIRECTORY = "rename of a lower directory answers EXDEV";
  /** statfs says f_namelen 251 and a 252-255 byte name is ENAMETOOLONG (room kept for ".wh."). */
  static final String NAME_MAX_251 = "names are at most 251 bytes";
  /** Writing a lower file whose path is near PATH_MAX answers ENOSPC: copy-up cannot reach it. */
  static final String DEEP_COPY_UP = "copy-up of a file at a path near PATH_MAX fails with ENOSPC";
  /** Mounted without upper, the mount is not read-only to the kernel: access(W_OK) answers 0, not EROFS. */
  static final String READ_ONLY_ACCESS = "access(W_OK) on a mount without upper answers 0";
  /** readdir of the mount's root has no "..". */
  static final String ROOT_DOTDOT = "readdir of the root lacks ..";
  /** After link(2) of a lower file, stat of its old names still says the old link count. */
  static final String LINK_COUNT_AFTER_LINK = "nlink of the other names is stale after link";
  /**
   * Lookup under a directory made again over a deleted lower one still finds the lower file, which
   * readdir does not list; a file written there by that name is then not listed either.
   */
  static final String LOOKUP_UNDER_NEW_DIRECTORY = "lookup through a re-made directory finds deleted lower files";
  /** chmod or chown of a lower fifo answers EIO. */
  static final String CHMOD_LOWER_FIFO = "chmod of a lower fifo answers EIO";
  /**
   * Setting a trusted.overlay.* xattr through the mount answers EPERM; the kernel (6.7 and later)
   * stores it escaped, for an overlay nested in this one, and answers 0.
   */
  static final String SET_OVERLAY_XATTR = "setxattr trusted.overlay.* answers EPERM";

  private KnownPeerDifferences() {}

  /** Skips the rest of the test on fuse-overlayfs, which is known to answer otherwise. */
  static void assumeKernelAnswerFrom(Overlay overlay, String difference) {
    assumeFalse(overlay == Overlay.FUSE && Overlay.fuseIsFuseOverlayfs(), "fuse-overlayfs: " + difference);
  }
}
