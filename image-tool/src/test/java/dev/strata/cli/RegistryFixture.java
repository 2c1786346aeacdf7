package dev.strata.cli;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real registry (Debian's docker-registry) on a free loopback port, started by the project's
 * own {@code scripts/start-registry.sh} and killed when closed. A missing registry fails the
 * test: these tests never skip.
 */
final class RegistryFixture implements AutoCloseable {
  final String mode;
  final int port;
  final Path state;

  private RegistryFixture(String mode, int port, Path state) {
    this.mode = mode;
    this.port = port;
    this.state = state;
  }

  static Path script() {
    Path script = TestImages.repo().resolve("scripts/start-registry.sh");
    if (!Files.isExecutable(script)) {
      throw new AssertionError(script + " is missing or not executable");
    }
    return script;
  }

  /** Starts a registry in {@code mode} (plain, auth or tls) with its state under {@code state}. */
  static RegistryFixture start(String mode, Path state) throws IOException, InterruptedException {
    RegistryFixture r = new RegistryFixture(mode, freePort(), state);
    r.restart();
    return r;
  }

  /** The start of a config.yml: storage under STATE, http on PORT; a test adds its own tls: or auth:. */
  static final String CONFIG_HEAD = """
      version: 0.1
      log:
        level: warn
      storage:
        filesystem:
          rootdirectory: STATE/storage
      http:
        addr: 127.0.0.1:PORT
        secret: strata-test-secret
      """;

  /**
   * Starts a registry with {@code config} (a config.yml body; {@code PORT} and {@code STATE}
   * are replaced), for setups the script does not make, such as token auth.
   */
  static RegistryFixture startWithConfig(String config, Path state) throws IOException, InterruptedException {
    RegistryFixture r = new RegistryFixture("custom", freePort(), state);
    Files.createDirectories(state.resolve("storage"));
    Path file = state.resolve("config.yml");
    Files.writeString(file, config.replace("PORT", String.valueOf(r.port)).replace("STATE", state.toString()));
    Process p = new ProcessBuilder("docker-registry", "serve", file.toString())
        .redirectErrorStream(true).redirectOutput(state.resolve("registry.log").toFile()).start();
    Files.writeString(state.resolve("registry.pid"), p.pid() + "\n");
    r.awaitUp();
    return r;
  }

  /** Starts (again) the registry the script made, with the same storage and port. */
  void restart() throws IOException, InterruptedException {
    Commands.run(List.of(script().toString(), mode, String.valueOf(port), state.toString()));
  }

  /** The host:port to name in references. */
  String host() {
    return "127.0.0.1:" + port;
  }

  Path caCert() {
    return state.resolve("certs/ca.crt");
  }

  /** Waits until the registry listens (it may speak TLS, so no HTTP is spoken here). */
  private void awaitUp() throws IOException, InterruptedException {
    for (int i = 0; i < 100; i++) {
      try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
        return;
      } catch (IOException notYet) {
        Thread.sleep(100);
      }
    }
    throw new AssertionError("registry did not start:\n" + Files.readString(state.resolve("registry.log")));
  }

  /** Kills the registry and waits until it is gone. */
  void stop() throws IOException, InterruptedException {
    Path pidFile = state.resolve("registry.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.UTF_8).trim());
    var handle = ProcessHandle.of(pid);
    if (handle.isPresent()) {
      handle.get().destroy();
      try {
        handle.get().onExit().get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        handle.get().destroyForcibly();
      }
    }
    Files.delete(pidFile);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Runs skopeo with {@code args}; returns its stdout. */
  static String skopeo(String... args) throws IOException, InterruptedException {
    return Commands.run(List.of(args).stream().collect(java.util.stream.Collectors.toCollection(
        () -> new java.util.ArrayList<>(List.of("skopeo")))));
  }

  @Override
  public void close() throws Exception {
    stop();
  }
}
