package dev.strata.fuse;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a mount's server as a process of its own, as fuse-overlayfs daemonizes: the command
 * that asked for the mount returns once it is live, and the server lives on until the mount
 * is unmounted. The server is this JVM's program again (same java, class path and memory
 * options) in a new session (setsid), so the caller's terminal and its signals do not reach it.
 */
public final class Detached {
  private static final long READY_TIMEOUT_MS = 60_000;
  /**
   * A server runs little code many times: C1 alone, compiling a method after a twentieth of
   * the usual calls, has it compiled sooner. The first walk of a fresh mount is 35-40 % quicker
   * than with the default tiers, reads and writes no slower (benchmarks/compare-mounts.sh).
   */
  static final List<String> SERVER_JIT = List.of("-XX:TieredStopAtLevel=1", "-XX:CompileThresholdScaling=0.05");
  /**
   * A server's heap follows what is live instead of what the machine could give: it starts at
   * 8 MB (the default, a 64th of RAM, is a young generation of a hundred MB and more that a
   * server's garbage would fill and keep resident), grows as a burst needs, and after a full
   * collection keeps at most 40 % free, all of the excess given back at once (no shrinking in
   * steps), which {@link IdleTrim} makes happen when the server goes idle. No cap: a mount's
   * live set grows with the nodes the kernel holds, and the JVM's default maximum (a quarter
   * of RAM) stays the safety net. The young generation stays at most 16 MB however large the
   * heap grows: a server's garbage is a request's, dead at once, and the default third of the
   * heap would keep some 60 MB of it resident beside a big walk's nodes (after a walk of a
   * million files, benchmarks/compare-memory.sh: 284 MB RSS, 241 MB with the cap; the walk 5 %
   * slower, 9.4 s against 8.9, for the more frequent young collections). Before the inherited
   * options, so that the caller's win.
   */
  static final List<String> SERVER_HEAP = List.of("-Xms8m", "-XX:MaxNewSize=16m", "-XX:MinHeapFreeRatio=20",
      "-XX:MaxHeapFreeRatio=40", "-XX:-ShrinkHeapInSteps");

  private Detached() {}

  /**
   * Runs {@code mainClass args} detached, its output going to {@code log}, and returns once a
   * FUSE mount is live at {@code mountPoint} and its server has registered it; fails with the
   * server's own words if it exits first. The server registers just after the mount is live: a
   * `strata umount` that ran in between found no server to wait for and returned while the
   * server still held the container.
   */
  public static long start(String mainClass, List<String> args, Path log, Path mountPoint) throws IOException {
    List<String> cmd = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      cmd.add("/usr/bin/setsid");
    }
    cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(SERVER_HEAP);
    boolean tiered = false;
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      // The launcher may be recording a class-data archive at exit: that is its business only.
      if (!a.startsWith("-XX:ArchiveClassesAtExit") && !a.startsWith("-agentlib") && !a.startsWith("-javaagent")
          && !a.startsWith("-Dstrata.cds.preload")) {
        cmd.add(a);
        tiered |= a.startsWith("-XX:TieredStopAtLevel") || a.contains("TieredCompilation");
      }
    }
    if (!tiered) {
      cmd.addAll(SERVER_JIT);
    }
    // jnr-ffi turns C strings into Java strings with the default charset: with ISO-8859-1 (one
    // char per byte) the libfuse transport gets every byte of every name (see UnionFuseFs).
    cmd.add("-Dfile.encoding=ISO-8859-1");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    Files.createDirectories(log.toAbsolutePath().getParent());
    Process p = new ProcessBuilder(cmd)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .redirectErrorStream(true)
        .start();
    long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
    while (!Mounts.isFuseMounted(mountPoint) || MountRegistry.server(mountPoint).isEmpty()) {
      if (!p.isAlive()) {
        throw new IOException("the mount server exited (" + p.exitValue() + ") before " + mountPoint + " was mounted"
            + tail(log));
      }
      if (System.currentTimeMillis() > deadline) {
        p.destroy();
        throw new IOException("the mount at " + mountPoint + " did not appear within " + READY_TIMEOUT_MS / 1000
            + " s" + tail(log));
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for " + mountPoint, e);
      }
    }
    return p.pid();
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      List<String> last = lines.subList(Math.max(0, lines.size() - 20), lines.size());
      return last.isEmpty() ? "" : ":\n  " + String.join("\n  ", last);
    } catch (IOException e) {
      return "";
    }
  }
}
