package dev.strata.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What this process is allowed, as the kernel decides it: its effective capabilities (in its own
 * user namespace) and whether that namespace is the host's. Every choice that depends on
 * privilege is made from this, never from a user name: inside a user namespace (rootless podman's,
 * {@code podman unshare}) the process is uid 0 and "root" by name, with none of the host's
 * privileges, while a process given capabilities may hold them under any name.
 *
 * @param effective the effective capability set (bit n is capability n)
 * @param initialUserNamespace the process runs in the host's user namespace (its uid_map is the
 *     identity over every id), where capabilities reach host files and devices
 * @param mappedUids how many uids the process's user namespace maps
 * @param euid the effective uid, as this namespace numbers it
 */
public record Capabilities(long effective, boolean initialUserNamespace, long mappedUids, int euid) {
  public static final int CAP_CHOWN = 0;
  public static final int CAP_MKNOD = 27;
  public static final int CAP_SYS_ADMIN = 21;

  private static final String IDENTITY_MAP = "0 0 4294967295";

  /**
   * This process's, read from /proc/self once: Strata never changes its own capabilities or
   * user namespace, and the answer is asked on paths that run often (a mount's registry).
   */
  public static Capabilities ofProcess() {
    return Holder.PROCESS;
  }

  private static final class Holder {
    static final Capabilities PROCESS = read();
  }

  private static Capabilities read() {
    long caps = 0;
    long mapped = 0;
    boolean initial = true;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("CapEff:")) {
          caps = Long.parseUnsignedLong(line.substring("CapEff:".length()).trim(), 16);
        }
      }
      List<String> map = Files.readAllLines(Path.of("/proc/self/uid_map"));
      initial = map.size() == 1 && map.get(0).trim().replaceAll("\\s+", " ").equals(IDENTITY_MAP);
      for (String line : map) {
        String[] f = line.trim().split("\\s+");
        if (f.length == 3) {
          mapped += Long.parseLong(f[2]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // No /proc (a chroot?): nothing is assumed but what the uid says below.
      return new Capabilities(0, true, 1L << 32, Libc.CALLS.geteuid());
    }
    return new Capabilities(caps, initial, mapped, Libc.CALLS.geteuid());
  }

  /** Whether capability {@code cap} is effective. */
  public boolean has(int cap) {
    return (effective & (1L << cap)) != 0;
  }

  /** Root of the host: uid 0 with CAP_SYS_ADMIN in the host's user namespace. */
  public boolean hostRoot() {
    return initialUserNamespace && euid == 0 && has(CAP_SYS_ADMIN);
  }

  /**
   * Whether the process may mount (CAP_SYS_ADMIN in its namespace): the host's root, or root of
   * a user namespace that owns its mount namespace (FUSE mounts there since Linux 4.18).
   */
  public boolean canMount() {
    return has(CAP_SYS_ADMIN);
  }

  /**
   * Whether files can be given owners other than the process's own: CAP_CHOWN, and more than
   * one id to give (a namespace that maps one id has no other to chown to).
   */
  public boolean canChown() {
    return has(CAP_CHOWN) && (initialUserNamespace || mappedUids > 1);
  }
}
