package dev.strata.host;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The host calls of {@link HostDir} for one file named by a JDK {@link Path}, for callers that
 * hold such paths (the CLI, tests, tools): each opens the file's directory, makes the call on
 * the last name, and closes it. The path's bytes are the ones the JDK would use for it; a name
 * the JDK cannot represent needs a {@link HostDir} instead.
 */
public final class HostPaths {
  private HostPaths() {}

  /** lstat; null if nothing is there. */
  public static Stat stat(Path path) throws IOException {
    return call(path, HostPath::stat);
  }

  /** Creates a device node, fifo or socket ({@code mode} holds type and permission bits). */
  public static void mknod(Path path, int mode, int major, int minor) throws IOException {
    run(path, p -> p.mknod(mode, major, minor));
  }

  public static byte[] getxattr(Path path, String name) throws IOException {
    return call(path, p -> p.getxattr(name));
  }

  public static void setxattr(Path path, String name, byte[] value) throws IOException {
    run(path, p -> p.setxattr(name, value));
  }

  public static boolean removexattr(Path path, String name) throws IOException {
    return call(path, p -> p.removexattr(name));
  }

  public static List<String> listxattr(Path path) throws IOException {
    return call(path, HostPath::listxattr);
  }

  /** Sets owner and group of the file itself (a symlink too); -1 leaves one as it is. */
  public static void lchown(Path path, long uid, long gid) throws IOException {
    run(path, p -> p.chown(uid, gid));
  }

  public static void chmod(Path path, int mode) throws IOException {
    run(path, p -> p.chmod(mode));
  }

  public static void utimens(Path path, long atimeNanos, long mtimeNanos) throws IOException {
    run(path, p -> p.utimens(atimeNanos, mtimeNanos));
  }

  /** renameat2 with {@link HostDir}'s RENAME_* flags. */
  public static void rename(Path from, Path to, int flags) throws IOException {
    Path a = from.toAbsolutePath();
    Path b = to.toAbsolutePath();
    try (HostDir da = HostDir.open(parent(a)); HostDir db = HostDir.open(parent(b))) {
      da.rename(name(a), db, name(b), flags);
    }
  }

  public static FsStats statfs(Path path) throws IOException {
    try (HostDir d = HostDir.open(path)) {
      return d.statfs();
    }
  }

  private interface Call<T> {
    T on(HostPath p) throws IOException;
  }

  private interface Run {
    void on(HostPath p) throws IOException;
  }

  private static <T> T call(Path path, Call<T> call) throws IOException {
    Path abs = path.toAbsolutePath();
    try (HostDir dir = HostDir.open(parent(abs))) {
      return call.on(new HostPath(dir, name(abs)));
    }
  }

  private static void run(Path path, Run run) throws IOException {
    call(path, p -> {
      run.on(p);
      return null;
    });
  }

  private static Path parent(Path abs) {
    return abs.getParent() == null ? abs : abs.getParent();
  }

  /** The last name, as the bytes the JDK would use for it. */
  private static String name(Path abs) {
    return abs.getFileName() == null ? "" : Names.decode(abs.getFileName().toString().getBytes(Names.jdkCharset()));
  }
}
