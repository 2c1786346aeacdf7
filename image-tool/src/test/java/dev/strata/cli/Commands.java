package dev.strata.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the peers (skopeo, umoci, tar) that serve the tests as oracles. */
final class Commands {
  private Commands() {}

  /** What a command printed. */
  record Result(int exit, String out, String err) {}

  /** Runs {@code command}; fails the test unless it exits 0. Returns its stdout. */
  static String run(List<String> command) throws IOException, InterruptedException {
    Result r = exec(command, Map.of());
    if (r.exit != 0) {
      throw new AssertionError(String.join(" ", command) + " exited " + r.exit + "\n" + r.out + "\n" + r.err);
    }
    return r.out;
  }

  static Result exec(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    var out = new java.util.concurrent.CompletableFuture<String>();
    var err = new java.util.concurrent.CompletableFuture<String>();
    Thread t1 = new Thread(() -> out.complete(read(p.getInputStream())));
    Thread t2 = new Thread(() -> err.complete(read(p.getErrorStream())));
    t1.start();
    t2.start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish in 10 minutes");
    }
    t1.join();
    t2.join();
    return new Result(p.exitValue(), out.join(), err.join());
  }

  private static String read(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
