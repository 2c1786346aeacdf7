package dev.strata.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts strata as a separate JVM, as a user's shell would: for what only processes can show
 * (locks between processes, a kill -9 in the middle of a write).
 */
final class StrataProcess {
  private StrataProcess() {}

  static Process start(Path store, Path log, String... args) throws IOException {
    return new ProcessBuilder(command(store, args)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** Runs strata to the end with {@code env} added (stderr into stdout). */
  static Commands.Result exec(Path store, java.util.Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command(store, args)).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    return new Commands.Result(p.waitFor(), out, "");
  }

  /**
   * Runs {@code strata run FLAGS... IMAGE -- /bin/sh -c SCRIPT} to the end; exit and output
   * (stderr into stdout).
   */
  static Commands.Result shell(Path store, String image, String script, List<String> flags)
      throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("run"));
    args.addAll(flags);
    args.addAll(List.of(image, "--", "/bin/sh", "-c", script));
    return exec(store, java.util.Map.of(), args.toArray(String[]::new));
  }

  /** The command line that runs strata on {@code store} with {@code args}. */
  static List<String> command(Path store, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    // Under surefire this is a jar whose manifest lists the whole test classpath.
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.add("--store");
    cmd.add(store.toString());
    cmd.addAll(List.of(args));
    return cmd;
  }

  /**
   * Starts strata on {@code store} with {@code args} (output into {@code log}), and kills it
   * with SIGKILL once it has staged a MiB in the files of the store's tmp/ that {@code staged}
   * accepts: in the middle of its work.
   */
  static void killWhenStaged(Path store, Path log, java.util.function.Predicate<Path> staged, String... args)
      throws Exception {
    Process p = start(store, log, args);
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    while (stagedBytes(store.resolve("tmp"), staged) < (1 << 20) && System.nanoTime() < deadline && p.isAlive()) {
      Thread.sleep(10);
    }
    org.assertj.core.api.Assertions.assertThat(stagedBytes(store.resolve("tmp"), staged))
        .as(java.nio.file.Files.readString(log)).isGreaterThanOrEqualTo(1 << 20);
    p.destroyForcibly().waitFor();
  }

  /**
   * The bytes of the files in staging (any process's) that {@code staged} accepts; files that a
   * running process removes while they are counted count nothing.
   */
  static long stagedBytes(Path tmp, java.util.function.Predicate<Path> staged) throws IOException {
    if (!java.nio.file.Files.isDirectory(tmp)) {
      return 0;
    }
    long[] total = {0};
    java.nio.file.Files.walkFileTree(tmp, new java.nio.file.SimpleFileVisitor<>() {
      @Override
      public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes attrs) {
        if (attrs.isRegularFile() && staged.test(file)) {
          total[0] += attrs.size();
        }
        return java.nio.file.FileVisitResult.CONTINUE;
      }

      @Override
      public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e) {
        return java.nio.file.FileVisitResult.CONTINUE; // gone since its directory was read
      }
    });
    return total[0];
  }
}
