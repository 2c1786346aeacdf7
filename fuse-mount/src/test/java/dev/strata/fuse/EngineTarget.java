package dev.strata.fuse;

import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.union.Attr;
import dev.strata.union.Ctx;
import dev.strata.union.DirEntry;
import dev.strata.union.FileType;
import dev.strata.union.SetAttr;
import dev.strata.union.UnionFs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Applies operations to the engine by node ids, resolving paths as the kernel's VFS does
 * before it calls a FUSE filesystem: component by component, never following the final
 * symlink (every symlink of a run dangles, so a path through one fails with ENOENT).
 */
final class EngineTarget implements Target {
  private static final int O_WRONLY = 1;
  private static final int O_APPEND = 02000;
  /** What a permission check asks for: the bits of a mode's triplet. */
  private static final int MAY_WRITE = 2;
  private static final int MAY_EXEC = 1;

  private final UnionFs fs;
  /** What each descriptor slot holds: the node (one lookup held, as the kernel holds an open file's inode). */
  private final Open[] slots = new Open[Op.SLOTS];

  /** An open file or directory: its node, the engine's handle (0 for a directory), its access mode. */
  private record Open(long node, long handle, int access) {}

  EngineTarget(UnionFs fs) {
    this.fs = fs;
  }

  /** Resolves the parent directory of {@code path} for root. */
  private long parent(String path) throws IOException {
    return parent(path, Ctx.ROOT);
  }

  /**
   * Resolves the parent directory of {@code path} for {@code caller}, who must be allowed to
   * search every directory on the way, the parent too (the VFS asks before each name).
   */
  private long parent(String path, Ctx caller) throws IOException {
    long node = UnionFs.ROOT;
    String[] parts = path.split("/");
    for (int i = 0; i < parts.length - 1; i++) {
      Attr a = fs.getattr(node);
      if (a.type() != FileType.DIRECTORY) {
        throw new ErrnoException(Errno.ENOTDIR, path);
      }
      check(a, caller, MAY_EXEC, path);
      node = fs.lookup(node, parts[i]);
      if (fs.getattr(node).type() == FileType.SYMLINK) {
        throw new ErrnoException(Errno.ENOENT, path + " (through a dangling symlink)");
      }
    }
    Attr a = fs.getattr(node);
    if (a.type() != FileType.DIRECTORY) {
      throw new ErrnoException(Errno.ENOTDIR, path);
    }
    check(a, caller, MAY_EXEC, path);
    return node;
  }

  /**
   * The parent of a name {@code caller} makes, with the VFS's checks in its order: the walk,
   * then EEXIST for a name that is there, then write and search permission on the parent.
   */
  private long parentToMakeIn(String path, Ctx caller) throws IOException {
    long parent = parent(path, caller);
    if (caller.uid() != 0) {
      try {
        fs.forget(fs.lookup(parent, name(path)), 1);
        throw new ErrnoException(Errno.EEXIST, path);
      } catch (ErrnoException e) {
        if (e.errno() != Errno.ENOENT) {
          throw e;
        }
      }
      check(fs.getattr(parent), caller, MAY_WRITE | MAY_EXEC, path);
    }
    return parent;
  }

  /** generic_permission without ACLs: the owner's, the group's or the others' bits; root passes. */
  private static void check(Attr a, Ctx caller, int mask, String path) throws ErrnoException {
    if (caller.uid() == 0) {
      return;
    }
    int bits = caller.uid() == a.uid() ? a.mode() >> 6 : caller.gid() == a.gid() ? a.mode() >> 3 : a.mode();
    if ((bits & mask) != mask) {
      throw new ErrnoException(Errno.EACCES, path + " for uid " + caller.uid());
    }
  }

  private static Ctx caller(Op op) {
    return op.uid() == 0 ? Ctx.ROOT : new Ctx(op.uid(), op.uid());
  }

  private static String name(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  private long resolve(String path) throws IOException {
    return fs.lookup(parent(path), name(path));
  }

  @Override
  public Outcome apply(Op op) {
    try {
      return switch (op.kind()) {
        case STAT -> {
          Attr a = fs.getattr(resolve(op.path()));
          boolean dir = a.type() == FileType.DIRECTORY;
          yield Outcome.ok(Integer.toOctalString(a.mode()) + " " + a.uid() + ":" + a.gid()
              + (dir ? "" : " size=" + a.size() + " nlink=" + a.nlink()));
        }
        case READ -> {
          long node = regularOrFail(resolve(op.path()));
          long fh = fs.open(node, 0);
          try {
            ByteBuffer buf = ByteBuffer.allocate((int) op.b() + 1);
            int n = Math.max(0, fs.read(fh, op.a(), buf));
            yield Outcome.ok(n + " " + java.util.Arrays.hashCode(java.util.Arrays.copyOf(buf.array(), n)));
          } finally {
            fs.release(fh);
          }
        }
        case WRITE -> {
          long parent = parent(op.path());
          long fh;
          try {
            long node = fs.lookup(parent, name(op.path()));
            createInSticky(parent, node, Ctx.ROOT, op.path());
            fh = fs.open(regularOrFail(node), O_WRONLY);
          } catch (ErrnoException e) {
            if (e.errno() != Errno.ENOENT) {
              throw e;
            }
            fh = fs.create(parent, name(op.path()), 0644, O_WRONLY, Ctx.ROOT)[1];
          }
          try {
            yield Outcome.ok(Integer.toString(fs.write(fh, op.a(), ByteBuffer.wrap(op.data()))));
          } finally {
            fs.release(fh);
          }
        }
        case APPEND -> {
          long fh = fs.open(regularOrFail(resolve(op.path())), O_WRONLY | O_APPEND);
          try {
            yield Outcome.ok(Integer.toString(fs.write(fh, 0, ByteBuffer.wrap(op.data()))));
          } finally {
            fs.release(fh);
          }
        }
        case TRUNCATE -> {
          long node = regularOrFail(resolve(op.path()));
          fs.setattr(node, SetAttr.size(op.a()));
          yield Outcome.ok("");
        }
        case CHMOD -> {
          fs.setattr(resolve(op.path()), SetAttr.mode((int) (op.b() & 07777)));
          yield Outcome.ok("");
        }
        case CHOWN -> {
          fs.setattr(resolve(op.path()), SetAttr.owner(op.a() % 3 * 1000, op.b() % 3 * 1000));
          yield Outcome.ok("");
        }
        case UTIMES -> {
          fs.setattr(resolve(op.path()), SetAttr.times(op.a() * 1_000_000_007L, op.b() * 1_000_000_009L));
          yield Outcome.ok("");
        }
        case SETXATTR -> {
          fs.setxattr(resolve(op.path()), "user.k" + (op.a() % 3), java.util.Arrays.copyOf(op.data(), 8));
          yield Outcome.ok("");
        }
        case REMOVEXATTR -> {
          fs.removexattr(resolve(op.path()), "user.k" + (op.a() % 3));
          yield Outcome.ok("");
        }
        case LINK -> {
          long source = resolve(op.path());
          fs.link(source, parent(op.path2()), name(op.path2()));
          yield Outcome.ok("");
        }
        case SYMLINK -> {
          fs.symlink(parentToMakeIn(op.path2(), caller(op)), name(op.path2()), "/nowhere/" + op.a(), caller(op));
          yield Outcome.ok("");
        }
        case UNLINK -> {
          fs.unlink(parent(op.path()), name(op.path()));
          yield Outcome.ok("");
        }
        case MKDIR -> {
          fs.mkdir(parentToMakeIn(op.path(), caller(op)), name(op.path()), 0755, caller(op));
          yield Outcome.ok("");
        }
        case CREATE -> {
          long fh = fs.create(parentToMakeIn(op.path(), caller(op)), name(op.path()), 0644, O_WRONLY, caller(op))[1];
          try {
            yield Outcome.ok(Integer.toString(fs.write(fh, 0, ByteBuffer.wrap(op.data()))));
          } finally {
            fs.release(fh);
          }
        }
        case RMDIR -> {
          fs.rmdir(parent(op.path()), name(op.path()));
          yield Outcome.ok("");
        }
        case RENAME -> {
          long from = parent(op.path());
          long to = parent(op.path2());
          fs.rename(from, name(op.path()), to, name(op.path2()), op.flags());
          yield Outcome.ok("");
        }
        case READDIR -> {
          long node = resolve(op.path());
          if (fs.getattr(node).type() == FileType.SYMLINK) {
            yield Outcome.ok("symlink");
          }
          List<String> names = new ArrayList<>();
          for (DirEntry e : list(node)) {
            names.add(e.name());
          }
          names.sort(null);
          yield Outcome.ok(names.toString());
        }
        case READLINK -> Outcome.ok(fs.readlink(resolve(op.path())));
        case OPEN -> open(op);
        case FSTAT, FREAD, FWRITE, FTRUNCATE, FCHMOD, FUTIMES, FSETXATTR, CLOSE -> descriptor(op);
      };
    } catch (Exception e) {
      return Outcome.of(e);
    }
  }

  /** Opens as the kernel would for open(2) with O_NOFOLLOW: a symlink is ELOOP, a directory for writing EISDIR. */
  private Outcome open(Op op) throws IOException {
    closeSlot(op.slot());
    int access = (int) (op.b() % 3);
    long node = resolve(op.path());
    FileType t = fs.getattr(node).type();
    if (t != FileType.REGULAR && t != FileType.DIRECTORY) {
      fs.forget(node, 1);
      if (t == FileType.SYMLINK) {
        throw new ErrnoException(Errno.ELOOP, "symlink");
      }
      return Outcome.ok("special");
    }
    if (t == FileType.DIRECTORY) {
      if (access != 0) {
        fs.forget(node, 1);
        throw new ErrnoException(Errno.EISDIR, "directory");
      }
      slots[op.slot()] = new Open(node, 0, access);
      return Outcome.ok("");
    }
    long handle;
    try {
      handle = fs.open(node, access);
    } catch (IOException | RuntimeException e) {
      fs.forget(node, 1);
      throw e;
    }
    slots[op.slot()] = new Open(node, handle, access);
    return Outcome.ok("");
  }

  /** A descriptor operation, with the checks the VFS makes before it reaches a filesystem. */
  private Outcome descriptor(Op op) throws IOException {
    Open o = slots[op.slot()];
    if (o == null) {
      return Outcome.ok("no descriptor");
    }
    boolean dir = o.handle() == 0;
    return switch (op.kind()) {
      case FSTAT -> {
        Attr a = fs.getattr(o.node());
        yield Outcome.ok(Integer.toOctalString(a.mode()) + " " + a.uid() + ":" + a.gid()
            + (dir ? "" : " size=" + a.size() + " nlink=" + a.nlink()));
      }
      case FREAD -> {
        if (dir) {
          throw new ErrnoException(Errno.EISDIR, "read of a directory");
        }
        if (o.access() == 1) {
          throw new ErrnoException(Errno.EBADF, "not open for reading");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) op.b() + 1);
        int n = Math.max(0, fs.read(o.handle(), 0, buf));
        yield Outcome.ok(n + " " + java.util.Arrays.hashCode(java.util.Arrays.copyOf(buf.array(), n)));
      }
      case FWRITE -> {
        if (dir || o.access() == 0) {
          throw new ErrnoException(Errno.EBADF, "not open for writing");
        }
        yield Outcome.ok(Integer.toString(fs.write(o.handle(), op.b(), ByteBuffer.wrap(op.data()))));
      }
      case FTRUNCATE -> {
        if (dir || o.access() == 0) {
          throw new ErrnoException(Errno.EINVAL, "not open for writing");
        }
        fs.setattr(o.node(), SetAttr.size(op.b()));
        yield Outcome.ok("");
      }
      case FCHMOD -> {
        fs.setattr(o.node(), SetAttr.mode((int) (op.b() & 07777)));
        yield Outcome.ok("");
      }
      case FUTIMES -> {
        fs.setattr(o.node(), SetAttr.times(op.a() * 1_000_000_007L, op.b() * 1_000_000_009L));
        yield Outcome.ok("");
      }
      case FSETXATTR -> {
        fs.setxattr(o.node(), "user.k" + (op.b() % 3), java.util.Arrays.copyOf(op.data(), 8));
        yield Outcome.ok("");
      }
      case CLOSE -> {
        closeSlot(op.slot());
        yield Outcome.ok("");
      }
      default -> throw new IllegalArgumentException(op.toString());
    };
  }

  private void closeSlot(int slot) throws IOException {
    Open o = slots[slot];
    if (o != null) {
      slots[slot] = null;
      if (o.handle() != 0) {
        fs.release(o.handle());
      }
      fs.forget(o.node(), 1);
    }
  }

  @Override
  public void closeAll() {
    for (int i = 0; i < slots.length; i++) {
      try {
        closeSlot(i);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  /**
   * may_create_in_sticky: an open with O_CREAT of a file that exists in a sticky directory is
   * EACCES, before O_NOFOLLOW's ELOOP, when neither the caller nor the directory's owner owns
   * the file and the directory is world-writable (or group-writable, for the kinds that
   * fs.protected_regular and protected_fifos at 2 guard); a regular file or FIFO is exempt
   * while its sysctl is 0. Root too: no capability passes it.
   */
  private void createInSticky(long parent, long node, Ctx caller, String path) throws IOException {
    Attr dir = fs.getattr(parent);
    Attr a = fs.getattr(node);
    if ((dir.mode() & 01000) == 0 || a.type() == FileType.DIRECTORY
        || a.type() == FileType.REGULAR && PROTECTED_REGULAR == 0 || a.type() == FileType.FIFO && PROTECTED_FIFOS == 0
        || a.uid() == dir.uid() || a.uid() == caller.uid()) {
      return;
    }
    if ((dir.mode() & 0002) != 0 || (dir.mode() & 0020) != 0
        && (a.type() == FileType.FIFO && PROTECTED_FIFOS >= 2 || a.type() == FileType.REGULAR && PROTECTED_REGULAR >= 2)) {
      throw new ErrnoException(Errno.EACCES, path + ": another's file in a sticky directory");
    }
  }

  private static final int PROTECTED_REGULAR = sysctl("protected_regular");
  private static final int PROTECTED_FIFOS = sysctl("protected_fifos");

  private static int sysctl(String name) {
    try {
      return Integer.parseInt(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/fs", name)).strip());
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
  }

  /** Opening a symlink with O_NOFOLLOW fails ELOOP; a directory for writing, EISDIR. */
  private long regularOrFail(long node) throws IOException {
    FileType t = fs.getattr(node).type();
    if (t == FileType.SYMLINK) {
      throw new ErrnoException(Errno.ELOOP, "symlink");
    }
    if (t == FileType.DIRECTORY) {
      throw new ErrnoException(Errno.EISDIR, "directory");
    }
    return node;
  }

  private List<DirEntry> list(long node) throws IOException {
    long dh = fs.opendir(node);
    try {
      List<DirEntry> out = new ArrayList<>();
      for (DirEntry e : fs.readdir(dh, 0)) {
        if (!e.name().equals(".") && !e.name().equals("..")) {
          out.add(e);
        }
      }
      return out;
    } finally {
      fs.releasedir(dh);
    }
  }

  @Override
  public Map<String, String> snapshot() throws IOException {
    Map<String, String> out = new TreeMap<>();
    Map<String, Long> inos = new HashMap<>();
    walk(UnionFs.ROOT, "", out, inos);
    return Describe.withLinks(out, inos);
  }

  private void walk(long dir, String path, Map<String, String> out, Map<String, Long> inos) throws IOException {
    for (DirEntry e : list(dir)) {
      String p = path.isEmpty() ? e.name() : path + "/" + e.name();
      long node = fs.lookup(dir, e.name());
      Attr a = fs.getattr(node);
      if (a.ino() != e.ino()) {
        throw new AssertionError("readdir d_ino " + e.ino() + " != st_ino " + a.ino() + " for " + p);
      }
      SortedMap<String, String> xattrs = new TreeMap<>();
      for (String x : fs.listxattr(node)) {
        if (x.startsWith("user.")) {
          xattrs.put(x, java.util.HexFormat.of().formatHex(fs.getxattr(node, x)));
        }
      }
      byte[] content = null;
      if (a.type() == FileType.REGULAR) {
        long fh = fs.open(node, 0);
        try {
          ByteArrayOutputStream bytes = new ByteArrayOutputStream();
          ByteBuffer buf = ByteBuffer.allocate(1 << 16);
          long off = 0;
          int n;
          while ((n = fs.read(fh, off, buf.clear())) > 0) {
            bytes.write(buf.array(), 0, n);
            off += n;
          }
          content = bytes.toByteArray();
        } finally {
          fs.release(fh);
        }
      }
      out.put(p, Describe.file(a.mode(), a.uid(), a.gid(), a.size(), a.nlink(), content,
          a.type() == FileType.SYMLINK ? fs.readlink(node) : null, xattrs));
      if (a.type() == FileType.DIRECTORY) {
        walk(node, p, out, inos);
      } else {
        inos.put(p, a.ino());
      }
      fs.forget(node, 1);
    }
  }
}
