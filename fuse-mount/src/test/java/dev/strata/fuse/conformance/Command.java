package dev.strata.fuse.conformance;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A program run to its end, with what it printed (stdout and stderr together). Public for the
 * mount tests of {@code dev.strata.fuse}.
 */
public record Command(int status, String output) {
  public static Command run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", command) + " did not end: " + out);
    }
    return new Command(p.exitValue(), out);
  }

  /** Runs {@code command}; throws unless it exits 0. */
  public static void check(String... command) throws IOException, InterruptedException {
    Command c = run(List.of(command));
    if (c.status != 0) {
      throw new IOException(String.join(" ", command) + " exited " + c.status + ": " + c.output);
    }
  }
}
