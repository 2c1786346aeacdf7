package dev.strata.cli.sandbox;

import dev.strata.union.ImageUser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SortedSet;

/**
 * What a container gets: its command, who runs it, and how far it is let out.
 *
 * @param args the command and its arguments
 * @param env the environment, {@code NAME=VALUE}
 * @param cwd the working directory in the container
 * @param hostname the name of its UTS namespace
 * @param user who the command runs as
 * @param capabilities its bounding set, and root's effective set
 * @param userCapabilities the capabilities a user other than root holds: those asked for by
 *     {@code --cap-add}, as podman gives them (ambient, so that they survive exec)
 * @param noNewPrivileges set no_new_privs: setuid files and file capabilities give nothing
 * @param seccomp the seccomp profile, in the format of containers-common's seccomp.json; null
 *     for none
 * @param privileged no masked or read-only kernel paths, /sys writable
 * @param hostNetwork the host's network namespace; else one of its own holding only lo
 * @param readOnly the root filesystem is mounted read-only
 * @param ids its user namespace, the host's for none
 * @param scratchTmp a tmpfs of its own on /tmp (strata run's), rather than the image's /tmp (a
 *     build's RUN, whose /tmp is the image's as in every builder)
 */
public record Sandbox(List<String> args, List<String> env, String cwd, String hostname, ImageUser user,
    SortedSet<String> capabilities, SortedSet<String> userCapabilities, boolean noNewPrivileges, Path seccomp,
    boolean privileged, boolean hostNetwork, boolean readOnly, UserNamespace ids, boolean scratchTmp,
    List<Bind> binds) {
  /** The seccomp profile podman uses, containers-common's. */
  public static final Path PODMAN_SECCOMP = SeccompProfile.PODMAN_DEFAULT;

  public Sandbox {
    args = List.copyOf(args);
    env = List.copyOf(env);
    binds = List.copyOf(binds);
  }

  /**
   * Runs the command with {@code rootfs} as its root (a mount that shows ids through {@link
   * #ids()}), in {@code bundle}, a directory of its own that the container's root can walk to;
   * returns its exit status. The container dies with this process.
   */
  public int run(Path rootfs, Path bundle) throws IOException, InterruptedException {
    return Runc.run(RuntimeSpec.of(this, rootfs), bundle);
  }
}
