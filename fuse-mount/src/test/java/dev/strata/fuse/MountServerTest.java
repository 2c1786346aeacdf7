package dev.strata.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/strata-overlay as container engines run it, its output read to the end: it asks the
 * user's shared mount server ({@link MountServer}), starting one if none runs, and returns
 * once the mount is live; the server keeps none of its callers' descriptors, serves every
 * mount asked of it, concurrent ones included, and ends once idle. Each test has a runtime
 * directory of its own (STRATA_RUNTIME_DIR), so its servers are its own.
 */
class MountServerTest {
  private static final Path LAUNCHER = Path.of(System.getProperty("user.dir")).getParent().resolve("bin/strata-overlay");

  @TempDir Path dir;
  private Path runtime;
  private Path lower;
  private final List<Path> mounted = new ArrayList<>();

  @BeforeEach
  void layers() throws IOException {
    runtime = Files.createDirectories(dir.resolve("runtime"));
    lower = Files.createDirectories(dir.resolve("lower"));
    Files.writeString(lower.resolve("hello"), "from below\n");
  }

  @AfterEach
  void stop() throws Exception {
    for (Path m : mounted) {
      if (Mounts.at(m).isPresent()) {
        Mounts.unmount(m, true);
      }
    }
    for (ProcessHandle s : servers()) {
      s.destroy();
      s.onExit().get(30, TimeUnit.SECONDS);
    }
  }

  private record Result(int exit, String out, String err) {}

  private Map<String, String> env(long idleSeconds) {
    Map<String, String> env = new HashMap<>();
    env.put("STRATA_CLASSPATH", System.getProperty("java.class.path"));
    env.put("STRATA_RUNTIME_DIR", runtime.toString());
    env.put("STRATA_SERVER_IDLE_SECONDS", Long.toString(idleSeconds));
    return env;
  }

  /** Runs the launcher in {@code cwd} and reads its output to the end, as an engine does. */
  private Result launch(Map<String, String> env, Path cwd, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    // A server holding the launcher's pipes would keep these reads from ending.
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
    String stdout = out.get(2, TimeUnit.MINUTES);
    String stderr = err.get(2, TimeUnit.MINUTES);
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    return new Result(p.exitValue(), stdout, stderr);
  }

  private Path mountPoint(String name) throws IOException {
    Path m = Files.createDirectories(dir.resolve(name));
    mounted.add(m);
    return m;
  }

  private Result mount(Map<String, String> env, String name) throws Exception {
    Path upper = Files.createDirectories(dir.resolve(name + "-upper"));
    Path work = Files.createDirectories(dir.resolve(name + "-work"));
    return launch(env, dir, "-o", "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work,
        mountPoint(name).toString());
  }

  /** The live servers of this test's runtime directory, by the pid each wrote. */
  private List<ProcessHandle> servers() throws IOException {
    Path all = runtime.resolve("servers");
    if (!Files.isDirectory(all)) {
      return List.of();
    }
    List<ProcessHandle> out = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(all)) {
      for (Path d : (Iterable<Path>) dirs::iterator) {
        Path pid = d.resolve("pid");
        if (Files.exists(pid)) {
          ProcessHandle.of(Long.parseLong(Files.readString(pid).trim())).filter(ProcessHandle::isAlive).ifPresent(out::add);
        }
      }
    }
    return out;
  }

  private static String readAll(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void oneServerServesEveryMountAndKeepsNoneOfItsCallersDescriptors() throws Exception {
    Map<String, String> env = env(600);
    Path upper = Files.createDirectories(dir.resolve("upper"));
    Path work = Files.createDirectories(dir.resolve("work"));
    Path mnt = mountPoint("mnt");
    Result r = launch(env, dir, "-o", "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work + ",timeout=5",
        mnt.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).isEqualTo("strata-overlay: warning: accepted but not implemented: timeout\n");
    assertThat(Files.readString(mnt.resolve("hello"))).isEqualTo("from below\n");
    Files.writeString(mnt.resolve("new"), "written through the mount\n");
    assertThat(Files.readString(upper.resolve("new"))).isEqualTo("written through the mount\n");

    assertThat(servers()).hasSize(1);
    ProcessHandle server = servers().get(0);
    assertThat(server.info().arguments().orElseThrow()).contains(MountServer.class.getName());
    Path fds = Path.of("/proc", Long.toString(server.pid()), "fd");
    Path log = Files.readSymbolicLink(fds.resolve("1"));
    assertThat(Files.readSymbolicLink(fds.resolve("0"))).isEqualTo(Path.of("/dev/null"));
    assertThat(log.getFileName().toString()).isEqualTo("server.log");
    assertThat(Files.readSymbolicLink(fds.resolve("2"))).isEqualTo(log);

    // Relative directories are the caller's, as containers/storage names its lower directories
    // when the list is long; and a second mount is the same server's.
    Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
    Files.createDirectories(elsewhere.resolve("up"));
    Files.createDirectories(elsewhere.resolve("wk"));
    Path second = mountPoint("elsewhere/mnt");
    Result rel = launch(env, elsewhere, "-o", "lowerdir=../lower,upperdir=up,workdir=wk", "mnt");
    assertThat(rel.exit()).as(rel.err()).isZero();
    assertThat(Files.readString(second.resolve("hello"))).isEqualTo("from below\n");
    Files.writeString(second.resolve("hello"), "changed\n");
    assertThat(Files.readString(elsewhere.resolve("up/hello"))).isEqualTo("changed\n");
    assertThat(servers()).containsExactly(server);
    assertThat(MountRegistry.servedBy(server.pid())).isEmpty(); // registered in its own runtime directory

    // Mistakes come back with the server's words and fuse-overlayfs's exit code.
    Path third = mountPoint("third");
    Result bad = launch(env, dir, "-o", "lowerdir=" + lower + ",bogus=1", third.toString());
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).isEqualTo("strata-overlay: unknown option 'bogus=1'\n");
    Result missing = launch(env, dir, "-o", "lowerdir=" + dir.resolve("nope"), third.toString());
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).contains(dir.resolve("nope") + " is not a directory");
    assertThat(Mounts.at(third)).isEmpty();

    // An unmount from anywhere ends that mount alone.
    Mounts.unmount(mnt, false);
    assertThat(Files.readString(second.resolve("hello"))).isEqualTo("changed\n");
    assertThat(server.isAlive()).isTrue();
  }

  @Test
  void concurrentLaunchersStartOneServerAndAllMount() throws Exception {
    Map<String, String> env = env(600);
    int n = 6;
    List<CompletableFuture<Result>> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String name = "m" + i;
      all.add(CompletableFuture.supplyAsync(() -> {
        try {
          return mount(env, name);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    for (int i = 0; i < n; i++) {
      Result r = all.get(i).get(3, TimeUnit.MINUTES);
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(Files.readString(dir.resolve("m" + i + "/hello"))).isEqualTo("from below\n");
    }
    assertThat(servers()).hasSize(1);
  }

  @Test
  void anIdleServerEndsAndTheNextMountStartsAnother() throws Exception {
    Map<String, String> env = env(1);
    Result r = mount(env, "a");
    assertThat(r.exit()).as(r.err()).isZero();
    ProcessHandle first = servers().get(0);
    Thread.sleep(2500);
    assertThat(first.isAlive()).as("a server with a mount stays, idle or not").isTrue();

    Mounts.unmount(dir.resolve("a"), false);
    first.onExit().get(60, TimeUnit.SECONDS);
    assertThat(first.isAlive()).isFalse();

    Result again = mount(env, "b");
    assertThat(again.exit()).as(again.err()).isZero();
    assertThat(Files.readString(dir.resolve("b/hello"))).isEqualTo("from below\n");
    assertThat(servers()).hasSize(1).doesNotContain(first);
  }

  @Test
  void aKilledServerIsReplacedByTheNextLauncher() throws Exception {
    Map<String, String> env = env(600);
    assertThat(mount(env, "a").exit()).isZero();
    ProcessHandle first = servers().get(0);
    first.destroyForcibly();
    first.onExit().get(30, TimeUnit.SECONDS);
    Mounts.unmount(dir.resolve("a"), true); // dead: the connection went with the server

    Result r = mount(env, "b");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(Files.readString(dir.resolve("b/hello"))).isEqualTo("from below\n");
    assertThat(servers()).hasSize(1).doesNotContain(first);
  }

  @Test
  void anotherBuildOrEnvironmentGetsAServerOfItsOwn() throws Exception {
    assertThat(mount(env(600), "a").exit()).isZero();
    Map<String, String> other = env(600);
    other.put("STRATA_FUSE_TRANSPORT", "libfuse");
    Result r = mount(other, "b");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(Files.readString(dir.resolve("b/hello"))).isEqualTo("from below\n");
    assertThat(servers()).hasSize(2);
  }
}
