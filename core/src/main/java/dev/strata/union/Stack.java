package dev.strata.union;

import com.google.common.collect.ImmutableList;
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
  final ReentrantReadWriteLock namespace = new ReentrantReadWriteLock();

  Stack(ImmutableList<LowerLayer> lowers, UpperDir upper, UnionOptions options) {
    this.lowers = lowers;
    this.upper = upper;
    this.options = options;
  }

  boolean writable() {
    return upper != null && !options.readOnly();
  }

  void checkWritable(String path) throws UnionException {
    if (!writable()) {
      throw new UnionException(Errno.EROFS, "/" + path);
    }
  }

  Node node(long id) throws UnionException {
    Node n = inodes.get(id);
    if (n == null) {
      throw new UnionException(Errno.ENOENT, "no node " + id);
    }
    return n;
  }
}
