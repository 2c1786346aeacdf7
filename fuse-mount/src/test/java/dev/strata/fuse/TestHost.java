package dev.strata.fuse;

import dev.strata.host.FsStats;
import dev.strata.host.HostPaths;
import dev.strata.host.Privileges;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The host calls tests make on files they name by JDK paths (building lowers, checking uppers),
 * and the privileges a union under test is opened with.
 */
public record TestHost(Privileges privileges) {
  /** What this process may do: as root, everything. */
  public static TestHost ofProcess() {
    return new TestHost(Privileges.ofProcess());
  }

  /** What an unprivileged user may do, for uppers written as rootless tools write them. */
  public static TestHost rootless() {
    return new TestHost(Privileges.UNPRIVILEGED);
  }

  public boolean canMknod() {
    return privileges.mknod();
  }

  public String overlayXattrPrefix() {
    return privileges.overlayXattrPrefix();
  }

  public void mknod(Path path, int mode, int major, int minor) throws IOException {
    HostPaths.mknod(path, mode, major, minor);
  }

  public byte[] getxattr(Path path, String name) throws IOException {
    return HostPaths.getxattr(path, name);
  }

  public void setxattr(Path path, String name, byte[] value) throws IOException {
    HostPaths.setxattr(path, name, value);
  }

  public boolean removexattr(Path path, String name) throws IOException {
    return HostPaths.removexattr(path, name);
  }

  public List<String> listxattr(Path path) throws IOException {
    return HostPaths.listxattr(path);
  }

  public void lchown(Path path, long uid, long gid) throws IOException {
    HostPaths.lchown(path, uid, gid);
  }

  public void chmod(Path path, int mode) throws IOException {
    HostPaths.chmod(path, mode);
  }

  public void utimens(Path path, long atimeNanos, long mtimeNanos) throws IOException {
    HostPaths.utimens(path, atimeNanos, mtimeNanos);
  }

  public void rename(Path from, Path to, int flags) throws IOException {
    HostPaths.rename(from, to, flags);
  }

  public FsStats statfs(Path path) throws IOException {
    return HostPaths.statfs(path);
  }
}
