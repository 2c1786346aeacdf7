package dev.strata.fuse;

import java.util.Map;

/** A filesystem a differential run applies operations to: the kernel's overlay, or the engine. */
interface Target {
  /** Applies {@code op}; returns its value or errno. */
  Outcome apply(Op op);

  /** Closes the descriptors a run left open (before the trees are compared). */
  void closeAll();

  /**
   * Describes every file under the root, by path: type, mode, owner, size, content digest, link
   * target, user xattrs, link count and which other paths are the same inode.
   */
  Map<String, String> snapshot() throws Exception;
}
