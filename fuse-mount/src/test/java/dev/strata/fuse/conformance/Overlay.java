package dev.strata.fuse.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** The two kinds of mount every conformance test runs on. */
enum Overlay {
  /** Kernel overlayfs with the features that make it POSIX-like: the reference. */
  KERNEL {
    @Override
    void mount(List<Path> lowers, Path upper, Path work, Path mountPoint) throws IOException, InterruptedException {
      String options = "lowerdir=" + join(lowers)
          + (upper == null ? "" : ",upperdir=" + upper + ",workdir=" + work + ",redirect_dir=on,index=on,metacopy=on");
      Command.check("mount", "-t", "overlay", "overlay", "-o", options, mountPoint.toString());
    }

    @Override
    void unmount(Path mountPoint) throws IOException, InterruptedException {
      Command busy = Command.run(List.of("umount", mountPoint.toString()));
      if (busy.status() != 0) {
        // Detach it all the same, so that the next test starts clean, and say what held it.
        Command.check("umount", "-l", mountPoint.toString());
        throw new IOException("umount " + mountPoint + ": " + busy.output() + " (a file or mapping left open?)");
      }
    }
  },

  /** A fuse-overlayfs-compatible mount program: Strata's, or fuse-overlayfs as a stand-in. */
  FUSE {
    @Override
    void mount(List<Path> lowers, Path upper, Path work, Path mountPoint) throws IOException, InterruptedException {
      mountWith(Map.of(), lowers, upper, work, mountPoint);
    }

    @Override
    void unmount(Path mountPoint) throws IOException, InterruptedException {
      if (Command.run(List.of("fusermount", "-u", mountPoint.toString())).status() != 0) {
        Command.check("umount", "-l", mountPoint.toString());
      }
    }
  };

  /**
   * strata-overlay from this build's classes, split on blanks: what bin/strata-overlay runs
   * from the jar (the jar is made after this module's tests).
   */
  static final String STRATA_OVERLAY = Path.of(System.getProperty("java.home"), "bin", "java") + " -cp "
      + System.getProperty("java.class.path") + " " + dev.strata.fuse.OverlayMain.class.getName();

  /** The mount program, split on blanks; fuse-overlayfs takes the same arguments. */
  static final String COMMAND = System.getProperty("strata.overlay.command", STRATA_OVERLAY);

  /**
   * default_permissions: the kernel checks modes itself, as it does for overlayfs (every
   * conformance permission test relies on it); allow_other: other users may enter the mount at
   * all; suid and dev: a root mount of overlayfs honours setuid bits and device nodes too.
   */
  static final String FUSE_OPTIONS = "default_permissions,allow_other,suid,dev";

  private static final long MOUNT_TIMEOUT_MS = 20_000;

  /**
   * Runs a fuse-overlayfs-style mount program with {@code env} added to its environment and
   * returns once the kernel lists its mount at {@code mountPoint}.
   */
  static void runMountProgram(List<String> command, Map<String, String> env, Path mountPoint)
      throws IOException, InterruptedException {
    runMountProgram(command, env, false, mountPoint);
  }

  /**
   * Runs a mount program as above; with {@code clearEnvironment}, {@code env} is all of its
   * environment, as {@code env -i} starts it.
   */
  static void runMountProgram(List<String> command, Map<String, String> env, boolean clearEnvironment,
      Path mountPoint) throws IOException, InterruptedException {
    // Output to a file, not a pipe: a daemon that keeps the pipe open would block the reader.
    Path log = Files.createTempFile(mountPoint.getParent(), "mount", ".log");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    if (clearEnvironment) {
      pb.environment().clear();
    }
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(MOUNT_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", command) + " did not return: " + Files.readString(log));
    }
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + Files.readString(log));
    }
    MountTable.await(mountPoint, MOUNT_TIMEOUT_MS);
  }

  /**
   * Mounts with the FUSE mount program as {@link #FUSE} does, {@code env} added to its
   * environment (strata-overlay's {@code STRATA_FUSE_TRANSPORT}, say).
   */
  static void mountWith(Map<String, String> env, List<Path> lowers, Path upper, Path work, Path mountPoint)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(Arrays.asList(COMMAND.trim().split("\\s+")));
    command.add("-o");
    command.add("lowerdir=" + join(lowers) + (upper == null ? "" : ",upperdir=" + upper + ",workdir=" + work)
        + "," + FUSE_OPTIONS);
    command.add(mountPoint.toString());
    runMountProgram(command, env, mountPoint);
  }

  /** Mounts the lowers (top first); read-only when {@code upper} is null. */
  abstract void mount(List<Path> lowers, Path upper, Path work, Path mountPoint) throws IOException, InterruptedException;

  abstract void unmount(Path mountPoint) throws IOException, InterruptedException;

  /** True when the FUSE target is fuse-overlayfs itself, whose known differences are then skipped. */
  static boolean fuseIsFuseOverlayfs() {
    String program = COMMAND.trim().split("\\s+")[0];
    return Path.of(program).getFileName().toString().equals("fuse-overlayfs");
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }

  private static String join(List<Path> lowers) {
    return lowers.stream().map(Path::toString).collect(Collectors.joining(":"));
  }
}
