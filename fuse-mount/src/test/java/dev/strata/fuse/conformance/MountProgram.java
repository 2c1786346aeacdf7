package dev.strata.fuse.conformance;

import dev.strata.fuse.FuseMount;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Each server of an overlay mount, as the field starts it: the kernel's overlayfs (the oracle),
 * strata-overlay on each of its transports, and fuse-overlayfs 1.10 (the peer). The FUSE ones
 * are given lowerdir, upperdir and workdir alone, as a container engine gives them, and run in
 * the environment the caller chooses, an empty one included.
 */
enum MountProgram {
  KERNEL_OVERLAY,
  /** strata-overlay speaking the /dev/fuse protocol itself: root's default. */
  STRATA_DEV_FUSE,
  /** strata-overlay through libfuse 2 (jnr-fuse): what mounts without root. */
  STRATA_LIBFUSE,
  FUSE_OVERLAYFS;

  private static final String FUSE_OVERLAYFS_PROGRAM = "/usr/bin/fuse-overlayfs";

  /** Mounts the lowers (top first) with the environment {@code env} and nothing else. */
  void mount(List<Path> lowers, Path upper, Path work, Path mountPoint, Map<String, String> env)
      throws IOException, InterruptedException {
    mount(lowers, upper, work, mountPoint, env, "");
  }

  /**
   * Mounts the lowers as above, a FUSE program given {@code options} too after lowerdir,
   * upperdir and workdir (none when empty), as an engine appends its own.
   */
  void mount(List<Path> lowers, Path upper, Path work, Path mountPoint, Map<String, String> env, String options)
      throws IOException, InterruptedException {
    if (this == KERNEL_OVERLAY) {
      if (!options.isEmpty()) {
        throw new IllegalArgumentException("fuse-overlayfs options for the kernel's overlay: " + options);
      }
      Overlay.KERNEL.mount(lowers, upper, work, mountPoint);
      return;
    }
    List<String> command = new ArrayList<>(List.of(program()));
    command.add("-o");
    command.add("lowerdir=" + String.join(":", lowers.stream().map(Path::toString).toList())
        + ",upperdir=" + upper + ",workdir=" + work + (options.isEmpty() ? "" : "," + options));
    command.add(mountPoint.toString());
    Map<String, String> all = new java.util.HashMap<>(env);
    all.putAll(environment());
    Overlay.runMountProgram(command, all, true, mountPoint);
  }

  /** The command that runs this FUSE program, split into its words. */
  String[] program() {
    if (this == KERNEL_OVERLAY) {
      throw new IllegalStateException("the kernel's overlay is no program");
    }
    return this == FUSE_OVERLAYFS ? new String[] {FUSE_OVERLAYFS_PROGRAM} : Overlay.STRATA_OVERLAY.split("\\s+");
  }

  /** The environment the program is to run with, beside the caller's: the transport of a strata one. */
  Map<String, String> environment() {
    return this == STRATA_LIBFUSE
        ? Map.of("STRATA_FUSE_TRANSPORT", FuseMount.Transport.LIBFUSE.name().toLowerCase(Locale.ROOT))
        : Map.of();
  }

  void unmount(Path mountPoint) throws IOException, InterruptedException {
    (this == KERNEL_OVERLAY ? Overlay.KERNEL : Overlay.FUSE).unmount(mountPoint);
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
