package dev.strata.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Applies operations to a kernel overlay mount through plain system calls. */
final class KernelTarget implements Target {
  private static final int O_RDONLY = 0;
  private static final int O_WRONLY = 1;
  private static final int O_CREAT = 0100;
  private static final int O_EXCL = 0200;
  private static final int O_APPEND = 02000;
  private static final int O_NOFOLLOW = 0400000;

  private static final int O_NONBLOCK = 04000;
  private static final int AT_EMPTY_PATH = 0x1000;

  private final Path root;
  /** The descriptor in each slot, -1 for none. */
  private final int[] fds = {-1, -1, -1};
  private final TestHost host = TestHost.ofProcess();
  private final Syscalls.Calls libc = Syscalls.libc();

  KernelTarget(Path root) {
    this.root = root;
  }

  private byte[] c(String path) {
    return Syscalls.c(root.resolve(path).toString());
  }

  @Override
  public Outcome apply(Op op) {
    try {
      return switch (op.kind()) {
        case STAT -> {
          Map<String, Object> a = Files.readAttributes(root.resolve(op.path()), "unix:*", LinkOption.NOFOLLOW_LINKS);
          int mode = (Integer) a.get("mode");
          boolean dir = (mode & 0170000) == 0040000;
          yield Outcome.ok(Integer.toOctalString(mode) + " " + a.get("uid") + ":" + a.get("gid")
              + (dir ? "" : " size=" + a.get("size") + " nlink=" + a.get("nlink")));
        }
        case READ -> {
          int fd = libc.open(c(op.path()), O_RDONLY | O_NOFOLLOW, 0);
          if (fd < 0) {
            yield Outcome.errno(Syscalls.errno());
          }
          try {
            byte[] buf = new byte[(int) op.b() + 1];
            long n = libc.pread(fd, buf, buf.length, op.a());
            if (n < 0) {
              yield Outcome.errno(Syscalls.errno());
            }
            yield Outcome.ok(n + " " + java.util.Arrays.hashCode(java.util.Arrays.copyOf(buf, (int) n)));
          } finally {
            libc.close(fd);
          }
        }
        case WRITE, APPEND -> {
          int flags = op.kind() == Op.Kind.WRITE ? O_WRONLY | O_CREAT | O_NOFOLLOW : O_WRONLY | O_APPEND | O_NOFOLLOW;
          int fd = libc.open(c(op.path()), flags, 0644);
          if (fd < 0) {
            yield Outcome.errno(Syscalls.errno());
          }
          try {
            long n = libc.pwrite(fd, op.data(), op.data().length, op.kind() == Op.Kind.WRITE ? op.a() : 0);
            yield n < 0 ? Outcome.errno(Syscalls.errno()) : Outcome.ok(Long.toString(n));
          } finally {
            libc.close(fd);
          }
        }
        case TRUNCATE -> {
          int fd = libc.open(c(op.path()), O_WRONLY | O_NOFOLLOW, 0);
          if (fd < 0) {
            yield Outcome.errno(Syscalls.errno());
          }
          try {
            yield libc.ftruncate(fd, op.a()) < 0 ? Outcome.errno(Syscalls.errno()) : Outcome.ok("");
          } finally {
            libc.close(fd);
          }
        }
        case CHMOD -> {
          host.chmod(root.resolve(op.path()), (int) (op.b() & 07777));
          yield Outcome.ok("");
        }
        case CHOWN -> {
          host.lchown(root.resolve(op.path()), op.a() % 3 * 1000, op.b() % 3 * 1000);
          yield Outcome.ok("");
        }
        case UTIMES -> {
          host.utimens(root.resolve(op.path()), op.a() * 1_000_000_007L, op.b() * 1_000_000_009L);
          yield Outcome.ok("");
        }
        case SETXATTR -> {
          host.setxattr(root.resolve(op.path()), "user.k" + (op.a() % 3), java.util.Arrays.copyOf(op.data(), 8));
          yield Outcome.ok("");
        }
        case REMOVEXATTR -> {
          boolean had = host.removexattr(root.resolve(op.path()), "user.k" + (op.a() % 3));
          yield had ? Outcome.ok("") : Outcome.error(dev.strata.host.Errno.ENODATA);
        }
        case LINK -> result(libc.link(c(op.path()), c(op.path2())));
        case SYMLINK -> as(op.uid(), () -> result(libc.symlink(Syscalls.c("/nowhere/" + op.a()), c(op.path2()))));
        case UNLINK -> result(libc.unlink(c(op.path())));
        case MKDIR -> as(op.uid(), () -> result(libc.mkdir(c(op.path()), 0755)));
        case CREATE -> as(op.uid(), () -> {
          int fd = libc.open(c(op.path()), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
          if (fd < 0) {
            return Outcome.errno(Syscalls.errno());
          }
          try {
            long n = libc.pwrite(fd, op.data(), op.data().length, 0);
            return n < 0 ? Outcome.errno(Syscalls.errno()) : Outcome.ok(Long.toString(n));
          } finally {
            libc.close(fd);
          }
        });
        case RMDIR -> result(libc.rmdir(c(op.path())));
        case RENAME -> result(libc.renameat2(-100, c(op.path()), -100, c(op.path2()), op.flags()));
        case READDIR -> {
          Path p = root.resolve(op.path());
          if (Files.isSymbolicLink(p)) {
            yield Outcome.ok("symlink");
          }
          try (Stream<Path> s = Files.list(p)) {
            yield Outcome.ok(s.map(x -> x.getFileName().toString()).sorted().toList().toString());
          }
        }
        case READLINK -> Outcome.ok(Files.readSymbolicLink(root.resolve(op.path())).toString());
        case OPEN -> open(op);
        case FSTAT, FREAD, FWRITE, FTRUNCATE, FCHMOD, FUTIMES, FSETXATTR, CLOSE -> descriptor(op);
      };
    } catch (Exception e) {
      return Outcome.of(e);
    }
  }

  /** Opens a file or directory into a slot; anything else is opened only to be told apart. */
  private Outcome open(Op op) {
    closeSlot(op.slot());
    int access = new int[] {O_RDONLY, O_WRONLY, 2}[(int) (op.b() % 3)];
    int fd = libc.open(c(op.path()), access | O_NOFOLLOW | O_NONBLOCK, 0);
    if (fd < 0) {
      return Outcome.errno(Syscalls.errno());
    }
    int type = (int) (statx(fd)[0] & 0170000);
    if (type != 0100000 && type != 0040000) {
      libc.close(fd);
      return Outcome.ok("special");
    }
    fds[op.slot()] = fd;
    return Outcome.ok("");
  }

  private Outcome descriptor(Op op) {
    int fd = fds[op.slot()];
    if (fd < 0) {
      return Outcome.ok("no descriptor");
    }
    return switch (op.kind()) {
      case FSTAT -> {
        long[] s = statx(fd);
        boolean dir = (s[0] & 0170000) == 0040000;
        yield Outcome.ok(Long.toOctalString(s[0]) + " " + s[2] + ":" + s[3] + (dir ? "" : " size=" + s[4] + " nlink=" + s[1]));
      }
      case FREAD -> {
        byte[] buf = new byte[(int) op.b() + 1];
        long n = libc.pread(fd, buf, buf.length, 0);
        yield n < 0 ? Outcome.errno(Syscalls.errno())
            : Outcome.ok(n + " " + java.util.Arrays.hashCode(java.util.Arrays.copyOf(buf, (int) n)));
      }
      case FWRITE -> {
        long n = libc.pwrite(fd, op.data(), op.data().length, op.b());
        yield n < 0 ? Outcome.errno(Syscalls.errno()) : Outcome.ok(Long.toString(n));
      }
      case FTRUNCATE -> result(libc.ftruncate(fd, op.b()));
      case FCHMOD -> result(libc.fchmod(fd, (int) (op.b() & 07777)));
      case FUTIMES -> {
        long at = op.a() * 1_000_000_007L;
        long mt = op.b() * 1_000_000_009L;
        yield result(libc.futimens(fd, new long[] {at / 1_000_000_000L, at % 1_000_000_000L, mt / 1_000_000_000L,
            mt % 1_000_000_000L}));
      }
      case FSETXATTR -> result(libc.fsetxattr(fd, Syscalls.c("user.k" + (op.b() % 3)),
          java.util.Arrays.copyOf(op.data(), 8), 8, 0));
      case CLOSE -> {
        closeSlot(op.slot());
        yield Outcome.ok("");
      }
      default -> throw new IllegalArgumentException(op.toString());
    };
  }

  /** statx of a descriptor: mode, nlink, uid, gid, size. */
  private long[] statx(int fd) {
    byte[] b = new byte[256];
    if (libc.statx(fd, new byte[] {0}, AT_EMPTY_PATH, 0x7ff, b) != 0) {
      throw new IllegalStateException("statx: errno " + Syscalls.errno());
    }
    java.nio.ByteBuffer x = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    return new long[] {x.getShort(28) & 0xffff, Integer.toUnsignedLong(x.getInt(16)), Integer.toUnsignedLong(x.getInt(20)),
        Integer.toUnsignedLong(x.getInt(24)), x.getLong(40)};
  }

  private void closeSlot(int slot) {
    if (fds[slot] >= 0) {
      libc.close(fds[slot]);
      fds[slot] = -1;
    }
  }

  @Override
  public void closeAll() {
    for (int i = 0; i < fds.length; i++) {
      closeSlot(i);
    }
  }

  /**
   * Runs {@code call} as uid {@code uid} with group {@code uid} and no other groups, as the
   * kernel checks and owns what a caller makes: by this thread's filesystem ids and groups
   * alone, which leaves the rest of the process root (and the filesystem capabilities come
   * back with fsuid 0).
   */
  private Outcome as(long uid, java.util.function.Supplier<Outcome> call) {
    if (uid == 0) {
      return call.get();
    }
    int[] groups = new int[256];
    int count = libc.getgroups(groups.length, groups);
    if (count < 0 || libc.syscall(Syscalls.SYS_SETGROUPS, 0, new int[0]) != 0) {
      throw new IllegalStateException("setgroups: errno " + Syscalls.errno());
    }
    libc.setfsgid((int) uid);
    libc.setfsuid((int) uid);
    try {
      if (libc.setfsuid(-1) != uid || libc.setfsgid(-1) != uid) {
        throw new IllegalStateException("could not act as uid " + uid);
      }
      return call.get();
    } finally {
      libc.setfsuid(0);
      libc.setfsgid(0);
      if (libc.syscall(Syscalls.SYS_SETGROUPS, count, java.util.Arrays.copyOf(groups, count)) != 0) {
        throw new IllegalStateException("setgroups back: errno " + Syscalls.errno());
      }
    }
  }

  private static Outcome result(int rc) {
    return rc < 0 ? Outcome.errno(Syscalls.errno()) : Outcome.ok("");
  }

  @Override
  public Map<String, String> snapshot() throws IOException {
    Map<String, String> out = new TreeMap<>();
    Map<String, Long> inos = new HashMap<>();
    walk("", out, inos);
    return Describe.withLinks(out, inos);
  }

  private void walk(String dir, Map<String, String> out, Map<String, Long> inos) throws IOException {
    List<String> names;
    try (Stream<Path> s = Files.list(dir.isEmpty() ? root : root.resolve(dir))) {
      names = s.map(x -> x.getFileName().toString()).sorted().toList();
    }
    for (String name : names) {
      String path = dir.isEmpty() ? name : dir + "/" + name;
      Path p = root.resolve(path);
      Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
      int mode = (Integer) a.get("mode");
      SortedMap<String, String> xattrs = new TreeMap<>();
      for (String x : host.listxattr(p)) {
        if (x.startsWith("user.")) {
          xattrs.put(x, java.util.HexFormat.of().formatHex(host.getxattr(p, x)));
        }
      }
      boolean regular = (mode & 0170000) == 0100000;
      boolean link = (mode & 0170000) == 0120000;
      out.put(path, Describe.file(mode, (Integer) a.get("uid"), (Integer) a.get("gid"), (Long) a.get("size"),
          (Integer) a.get("nlink"), regular ? Files.readAllBytes(p) : null,
          link ? Files.readSymbolicLink(p).toString() : null, xattrs));
      if ((mode & 0170000) == 0040000) {
        walk(path, out, inos);
      } else {
        inos.put(path, (Long) a.get("ino"));
      }
    }
  }
}
