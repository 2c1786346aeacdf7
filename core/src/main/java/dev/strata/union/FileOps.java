package dev.strata.union;

import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.HostFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Open files (overlayfs file.c). Opening for write copies up first; a file opened for reading
 * before another handle copied it up reads the upper copy from then on, as the kernel's
 * overlay re-opens the real file.
 */
final class FileOps {
  static final int O_ACCMODE = 03;
  static final int O_RDONLY = 0;
  static final int O_TRUNC = 01000;
  static final int O_APPEND = 02000;

  private final Stack stack;
  private final CopyUp copyUp;
  private final ConcurrentHashMap<Long, OpenFile> handles = new ConcurrentHashMap<>();
  private final AtomicLong nextHandle = new AtomicLong(1);

  FileOps(Stack stack, CopyUp copyUp) {
    this.stack = stack;
    this.copyUp = copyUp;
  }

  /** One open file. */
  private static final class OpenFile {
    final Node node;
    final boolean writable;
    final boolean append;
    HostFile upper;
    FileContent lower;

    OpenFile(Node node, boolean writable, boolean append) {
      this.node = node;
      this.writable = writable;
      this.append = append;
    }
  }

  /** Opens {@code node} (called without the namespace lock: copy-up may copy a lot). */
  long open(Node node, int flags) throws IOException {
    if (node.isDirectory()) {
      throw new ErrnoException(Errno.EISDIR, "/" + node.path());
    }
    if (node.type != FileType.REGULAR) {
      throw new ErrnoException(Errno.EINVAL, "/" + node.path() + " is not a regular file");
    }
    boolean writable = (flags & O_ACCMODE) != O_RDONLY;
    boolean truncate = (flags & O_TRUNC) != 0;
    if (writable || truncate) {
      stack.checkWritable(node.path());
      copyUp.copyUp(node, true);
    }
    OpenFile f = new OpenFile(node, writable, (flags & O_APPEND) != 0);
    InodeOps.refreshIndex(stack, node);
    stack.namespace.readLock().lock();
    try {
      attach(f);
      if (truncate) {
        // Linux truncates on O_TRUNC whatever the access mode (build_open_flags asks MAY_WRITE).
        if (f.upper != null && f.writable) {
          f.upper.truncate(0);
        } else {
          stack.upperOf(f.node).truncate(0);
        }
      }
    } finally {
      stack.namespace.readLock().unlock();
    }
    long fh = nextHandle.getAndIncrement();
    handles.put(fh, f);
    return fh;
  }

  private void attach(OpenFile f) throws IOException {
    if (!f.node.upper && f.node.index != null) {
      f.upper = stack.upperOf(f.node).open(HostFile.O_RDONLY, 0);
    } else if (f.node.upper && !f.node.metacopy) {
      f.upper = stack.upperOf(f.node).open(f.writable ? HostFile.O_RDWR : HostFile.O_RDONLY, 0);
    } else {
      LowerRef r = f.node.lowers.get(0);
      f.lower = stack.lowers.get(r.layer()).open(r.path());
    }
  }

  int read(long fh, long offset, ByteBuffer dst) throws IOException {
    OpenFile f = handle(fh);
    synchronized (f) {
      InodeOps.refreshIndex(stack, f.node);
      if (f.lower != null && ((f.node.upper && !f.node.metacopy) || f.node.index != null)) {
        // Copied up by another handle since this one opened: read the copy from now on.
        f.lower.close();
        f.lower = null;
        attach(f);
      }
      int total = 0;
      while (dst.hasRemaining()) {
        int n = f.upper != null ? f.upper.read(offset + total, dst) : f.lower.read(offset + total, dst);
        if (n <= 0) {
          break;
        }
        total += n;
      }
      return total;
    }
  }

  int write(long fh, long offset, ByteBuffer src) throws IOException {
    OpenFile f = handle(fh);
    if (!f.writable) {
      throw new ErrnoException(Errno.EBADF, "not open for writing");
    }
    synchronized (f) {
      return f.upper.write(f.append ? f.upper.size() : offset, src);
    }
  }

  /**
   * The host file that holds all of open file {@code fh}'s bytes and goes on holding them while
   * it is open, or null. A file read through its upper copy (new, copied up, or a hard-linked
   * lower file's index entry, which every copied-up name links to) is that copy, changed in
   * place from then on. A lower file stays one only where nothing can copy it up (a union that
   * is not writable): elsewhere a write through another descriptor could copy it up while this
   * one is open, and this one must then read the copy, as the kernel's overlay re-opens the
   * real file. Lower bytes in a pack are no file of their own; a metadata-only copy reads the
   * lower's.
   */
  HostFile hostFile(long fh) throws IOException {
    OpenFile f = handle(fh);
    synchronized (f) {
      if (f.upper != null) {
        return f.upper;
      }
      if (!stack.writable()) {
        FileContent.Extent x = f.lower.extent();
        return x != null && x.whole() ? x.file() : null;
      }
      return null;
    }
  }

  void fsync(long fh, boolean dataOnly) throws IOException {
    OpenFile f = handle(fh);
    if (f.upper != null) {
      f.upper.sync(dataOnly);
    }
  }

  void release(long fh) throws IOException {
    OpenFile f = handles.remove(fh);
    if (f != null) {
      synchronized (f) {
        if (f.upper != null) {
          f.upper.close();
        }
        if (f.lower != null) {
          f.lower.close();
        }
      }
    }
  }

  private OpenFile handle(long fh) throws ErrnoException {
    OpenFile f = handles.get(fh);
    if (f == null) {
      throw new ErrnoException(Errno.EBADF, "no open file " + fh);
    }
    return f;
  }
}
