package dev.strata.host;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * An ordinary user for tests that run Strata the way a user without root does: made if missing
 * (tests run as root), with a subordinate id range of its own in /etc/subuid and /etc/subgid, as
 * rootless podman and {@code strata run} need. A real account, not just an id: fusermount3
 * refuses a user without a name. Public for the tests of the other modules.
 *
 * @param name the login name
 * @param uid its uid
 * @param gid its primary gid
 * @param subuid its first subordinate uid range: start and count
 * @param subgid the same for gids
 */
public record TestUser(String name, long uid, long gid, long[] subuid, long[] subgid) {
  /** The user {@code name}, made with a home and a subordinate range if it is not there yet. */
  public static TestUser ensure(String name) throws IOException, InterruptedException {
    if (exec("id", "-u", name).exit() != 0) {
      run("useradd", "--create-home", "--shell", "/bin/sh", name);
    }
    long uid = Long.parseLong(run("id", "-u", name).trim());
    long gid = Long.parseLong(run("id", "-g", name).trim());
    if (subordinate(name, "/etc/subuid") == null || subordinate(name, "/etc/subgid") == null) {
      // useradd gives one where login.defs says so (Debian's does); elsewhere a range past all.
      long start = 100_000;
      for (String f : List.of("/etc/subuid", "/etc/subgid")) {
        for (String line : Files.readAllLines(Path.of(f))) {
          String[] p = line.split(":");
          if (p.length == 3) {
            start = Math.max(start, Long.parseLong(p[1]) + Long.parseLong(p[2]));
          }
        }
      }
      String range = start + "-" + (start + 65535);
      run("usermod", "--add-subuids", range, "--add-subgids", range, name);
    }
    return new TestUser(name, uid, gid, subordinate(name, "/etc/subuid"), subordinate(name, "/etc/subgid"));
  }

  /** The user's home directory. */
  public Path home() {
    return Path.of("/home", name);
  }

  /** The user's first range in {@code file}: start and count; null if none. */
  private static long[] subordinate(String name, String file) throws IOException {
    for (String line : Files.readAllLines(Path.of(file))) {
      String[] p = line.split(":");
      if (p.length == 3 && p[0].equals(name)) {
        return new long[] {Long.parseLong(p[1]), Long.parseLong(p[2])};
      }
    }
    return null;
  }

  /**
   * This test JVM's class path, copied into {@code dir}/cp where any user can read it (root's
   * Maven repository is private; the caller makes {@code dir} reachable); returns it as a class
   * path. Surefire's manifest-only jar is replaced by the entries its manifest names.
   */
  public static String readableClasspath(Path dir) throws IOException {
    List<String> entries = new ArrayList<>();
    for (String e : System.getProperty("java.class.path").split(":")) {
      try (JarFile jar = e.endsWith(".jar") ? new JarFile(e) : null) {
        String manifest = jar == null || jar.getManifest() == null ? null
            : jar.getManifest().getMainAttributes().getValue("Class-Path");
        if (manifest == null) {
          entries.add(e);
          continue;
        }
        for (String u : manifest.trim().split("\\s+")) {
          entries.add(Path.of(URI.create(u)).toString());
        }
      }
    }
    Path cp = Files.createDirectories(dir.resolve("cp"));
    readable(cp);
    List<String> copies = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      Path from = Path.of(entries.get(i));
      Path copy = cp.resolve(i + "-" + from.getFileName());
      try (Stream<Path> walk = Files.walk(from)) {
        for (Path p : (Iterable<Path>) walk::iterator) {
          Path to = copy.resolve(from.relativize(p).toString());
          if (Files.isDirectory(p)) {
            Files.createDirectories(to);
          } else {
            Files.copy(p, to);
          }
          readable(to);
        }
      }
      copies.add(copy.toString());
    }
    return String.join(":", copies);
  }

  private static void readable(Path p) throws IOException {
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
  }

  private record Result(int exit, String out) {}

  private static Result exec(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(p.waitFor(), out);
  }

  /** Runs {@code command}; fails unless it exits 0. Returns what it printed. */
  private static String run(String... command) throws IOException, InterruptedException {
    Result r = exec(command);
    if (r.exit() != 0) {
      throw new AssertionError(String.join(" ", command) + " exited " + r.exit() + "\n" + r.out());
    }
    return r.out();
  }
}
