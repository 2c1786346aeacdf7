package dev.strata.cli.sandbox;

import dev.strata.fuse.MountRegistry;
import dev.strata.host.Capabilities;
import dev.strata.host.Names;
import dev.strata.union.IdMap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code strata run} without root runs again as root of a user and mount namespace of its own,
 * as rootless podman runs everything in its pause process's: the namespace maps the caller to
 * root and its /etc/subuid and /etc/subgid ranges to ids 1 and on (unshare(1), through
 * newuidmap and newgidmap), the container runs in it, and the container's mount is made in it.
 * A FUSE mount made there may let the namespace's other ids in ({@code allow_other} needs no
 * /etc/fuse.conf inside a user namespace), so every user of the container, not only its root,
 * reaches its root filesystem; a mount the caller made outside lets in the caller alone.
 *
 * <p>The upper keeps the caller's format ({@link #UPPER_PROPERTY}): files the caller owns, the
 * container's owners in the override xattr, as they were before and as {@code strata commit}
 * outside the namespace reads them.
 */
public final class OwnUserNamespace {
  /**
   * Set on the JVM run inside: its unions write the upper as the caller would outside (no
   * chown, no device nodes, {@code user.overlay.*}), though root of the namespace could chown.
   */
  public static final String UPPER_PROPERTY = "strata.caller-upper";

  private OwnUserNamespace() {}

  /** Whether this process should run inside one: an ordinary user's, in the host's user namespace, with unshare(1). */
  public static boolean wanted() {
    Capabilities caps = Capabilities.ofProcess();
    return caps.initialUserNamespace() && caps.euid() != 0 && UserNamespace.onPath("unshare");
  }

  /**
   * Runs this JVM's command line again inside a namespace with {@code ids} (the caller's, as
   * {@link UserNamespace#forThisProcess} gives them), its standard streams this process's;
   * returns its exit status.
   */
  public static int rerun(UserNamespace ids) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("unshare", "--user", "--mount", "--propagation", "private",
        "--map-root-user"));
    // Beyond the caller as root, the first range of ids 1 and on (unshare takes one).
    for (IdMap.Range r : ids.uids().ranges()) {
      if (r.stored() == 1) {
        cmd.add("--map-users=" + r.shown() + ",1," + r.length());
      }
    }
    for (IdMap.Range r : ids.gids().ranges()) {
      if (r.stored() == 1) {
        cmd.add("--map-groups=" + r.shown() + ",1," + r.length());
      }
    }
    cmd.add("--");
    List<String> self = commandLine();
    cmd.add(self.get(0));
    cmd.add("-D" + UPPER_PROPERTY + "=true");
    cmd.addAll(self.subList(1, self.size()));
    ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
    // Inside, the caller is root: its runtime directory is still the caller's.
    pb.environment().put("STRATA_RUNTIME_DIR", MountRegistry.runtimeDirectory().toString());
    return pb.start().waitFor();
  }

  /** Whether this JVM was started inside one, by {@link #rerun}. */
  public static boolean inside() {
    return Boolean.getBoolean(UPPER_PROPERTY);
  }

  /** This JVM's command line, as the kernel keeps it. */
  private static List<String> commandLine() throws IOException {
    return Names.nulTerminated(Files.readAllBytes(Path.of("/proc/self/cmdline"))).stream()
        .map(b -> new String(b, Names.jdkCharset())).toList();
  }
}
