package dev.strata.cli;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;

/**
 * An ordinary user for tests that run Strata the way a user without root does: made if missing
 * (tests run as root), with a subordinate id range of its own in /etc/subuid and /etc/subgid, as
 * rootless podman and {@code strata run} need.
 *
 * @param name the login name
 * @param uid its uid
 * @param gid its primary gid
 * @param subuid its first subordinate uid range: start and count
 * @param subgid the same for gids
 */
record TestUser(String name, long uid, long gid, long[] subuid, long[] subgid) {
  /** The user {@code name}, made with a home and a subordinate range if it is not there yet. */
  static TestUser ensure(String name) throws Exception {
    if (Commands.exec(List.of("id", "-u", name), Map.of()).exit() != 0) {
      Commands.run(List.of("useradd", "--create-home", "--shell", "/bin/sh", name));
    }
    long uid = Long.parseLong(Commands.run(List.of("id", "-u", name)).trim());
    long gid = Long.parseLong(Commands.run(List.of("id", "-g", name)).trim());
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
      Commands.run(List.of("usermod", "--add-subuids", range, "--add-subgids", range, name));
    }
    return new TestUser(name, uid, gid, subordinate(name, "/etc/subuid"), subordinate(name, "/etc/subgid"));
  }

  /** The user's home directory. */
  Path home() {
    return Path.of("/home", name);
  }

  /** The user's first range in {@code file}: start and count; null if none. */
  private static long[] subordinate(String name, String file) throws Exception {
    for (String line : Files.readAllLines(Path.of(file))) {
      String[] p = line.split(":");
      if (p.length == 3 && p[0].equals(name)) {
        return new long[] {Long.parseLong(p[1]), Long.parseLong(p[2])};
      }
    }
    return null;
  }

  /**
   * This test JVM's class path, copied into {@code dir} where any user can read it (root's Maven
   * repository is private); returns it as a class path.
   */
  static String readableClasspath(Path dir) throws Exception {
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
    List<String> copies = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      Path copy = cp.resolve(i + "-" + Path.of(entries.get(i)).getFileName());
      Commands.run(List.of("cp", "-r", entries.get(i), copy.toString()));
      copies.add(copy.toString());
    }
    Commands.run(List.of("chmod", "-R", "a+rX", cp.toString()));
    return String.join(":", copies);
  }
}
