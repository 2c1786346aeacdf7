package dev.strata.union;

import com.google.common.collect.ImmutableList;
import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.HostPath;
import java.io.IOException;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The state every operation of a union shares: the layers, the upper, the inode table and the
 * namespace lock. Lookups and reads take the lock shared; anything that changes names takes it
 * exclusively. Copying a file's data during copy-up happens outside it (see {@link CopyUp}).
 */
final class Stack {
  final ImmutableList<LowerLayer> lowers;
  final UpperDir upper;
  final UnionOptions options;
  final InodeTable inodes = new InodeTable();
  final LowerCache lowerCache = new LowerCache(LowerCache.MAX_NAMES);
  final ReentrantReadWriteLock namespace = new ReentrantReadWriteLock();

  Stack(ImmutableList<LowerLayer> lowers, UpperDir upper, UnionOptions options) {
    // A metacopy file's data is in the layers below it: only the stack knows them.
    this.lowers = StackedLayer.of(lowers, this);
    this.upper = upper;
    this.options = options;
  }

  boolean writable() {
    return upper != null && !options.readOnly();
  }

  void checkWritable(String path) throws ErrnoException {
    if (!writable()) {
      throw new ErrnoException(Errno.EROFS, "/" + path);
    }
  }

  /** The index entry of a hard-linked lower file, if one of its names was changed already. */
  HostPath indexOf(LowerRef ref) throws IOException {
    if (upper == null || ref.entry().type() != FileType.REGULAR || ref.entry().nlink() < 2) {
      return null;
    }
    HostPath entry = upper.indexEntry(lowers.get(ref.layer()), ref.entry().identity());
    return entry.exists() ? entry : null;
  }

  /**
   * Returns the host file of {@code node} in the upper: at its path, or for a name of a
   * hard-linked lower file that another name changed, its index entry; once its name is
   * removed, the file itself, kept by a descriptor.
   */
  HostPath upperOf(Node node) {
    if (node.removed && node.pin != null) {
      return new HostPath(node.pin, "");
    }
    return node.upper || node.index == null ? upper.path(node.path()) : node.index;
  }

  Node node(long id) throws ErrnoException {
    Node n = inodes.get(id);
    if (n == null) {
      throw new ErrnoException(Errno.ENOENT, "no node " + id);
    }
    return n;
  }
}
