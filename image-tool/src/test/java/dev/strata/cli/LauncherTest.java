package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/strata, the launcher users run, over this build's classes and with an empty environment
 * ({@code env -i}): the JVM it starts runs {@code build} on C1 alone with a 48 MB young
 * generation and every other command with C2 (docs/build.md, "Measured"), the command found
 * past {@code --store}'s value as Main finds it. Read from the running JVM's /proc/PID/cmdline:
 * the script execs java in its own process.
 */
class LauncherTest {
  private static final String C1_ALONE = "-XX:TieredStopAtLevel=1";

  @TempDir Path dir;

  @Test
  void buildRunsOnC1AloneAndOtherCommandsKeepC2() throws Exception {
    Path store = dir.resolve("store");
    Path context = Files.createDirectories(dir.resolve("context"));
    Files.writeString(context.resolve("hello"), "hello\n");
    Files.writeString(context.resolve("Containerfile"), "FROM scratch\nCOPY hello /hello\n");

    Launched build = launch("--store", store.toString(), "build", "-t", "hello", context.toString());
    assertThat(build.exit()).as(build.output()).isZero();
    assertThat(build.javaArguments()).as("the JVM of strata build").contains(C1_ALONE, "-Xmn48m");

    Launched images = launch("--store", store.toString(), "images");
    assertThat(images.exit()).as(images.output()).isZero();
    assertThat(images.output()).contains("hello");
    assertThat(images.javaArguments()).as("the JVM of strata images").isNotEmpty().doesNotContain(C1_ALONE)
        .anyMatch(a -> a.startsWith("-XX:Tier4"));

    Launched named = launch("--store", "build", "images");
    assertThat(named.exit()).as(named.output()).isZero();
    assertThat(named.javaArguments()).as("a store named build, then images").isNotEmpty().doesNotContain(C1_ALONE);
  }

  private record Launched(int exit, String output, List<String> javaArguments) {}

  /** Runs bin/strata with {@code args} under env -i, and the arguments its JVM was started with. */
  private Launched launch(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("env", "-i", "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
        "STRATA_CLASSPATH=" + System.getProperty("java.class.path"),
        TestImages.repo().resolve("bin/strata").toString()));
    command.addAll(List.of(args));
    Path log = Files.createTempFile(dir, "launcher", ".log");
    // In the test's directory: a relative --store (one named "build") lands there.
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    p.getOutputStream().close();
    List<String> java = List.of();
    Path cmdline = Path.of("/proc", Long.toString(p.pid()), "cmdline");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (java.isEmpty() && p.isAlive() && System.nanoTime() < deadline) {
      java = javaArguments(cmdline);
      if (java.isEmpty()) {
        Thread.sleep(5);
      }
    }
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("bin/strata %s ended", String.join(" ", args)).isTrue();
    return new Launched(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8), java);
  }

  /** The arguments of the process at {@code cmdline} once it is java (empty before, or once gone). */
  private static List<String> javaArguments(Path cmdline) throws IOException {
    byte[] raw;
    try {
      raw = Files.readAllBytes(cmdline);
    } catch (NoSuchFileException e) {
      return List.of();
    }
    List<String> words = List.of(new String(raw, StandardCharsets.UTF_8).split("\0"));
    return !words.isEmpty() && words.get(0).endsWith("java") ? words.subList(1, words.size()) : List.of();
  }
}
