package dev.strata.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The host's mount table and the unmount commands, for finding out when a FUSE mount is live
 * (libfuse gives no signal for it) and for taking one down, dead or alive.
 */
public final class Mounts {
  private Mounts() {}

  /**
   * One line of /proc/self/mountinfo: where, the device's major and minor numbers (a FUSE
   * mount's minor is its connection under /sys/fs/fuse/connections), what type, from what
   * source, with which mount flags ({@code rw,nosuid,...}) and filesystem options.
   */
  public record Mount(Path mountPoint, int major, int minor, String type, String source, String flags,
      String options) {}

  /** Returns the mount at exactly {@code dir}, the last one if mounts are stacked there. */
  public static Optional<Mount> at(Path dir) throws IOException {
    Path want = dir.toAbsolutePath().normalize();
    Mount found = null;
    for (Mount m : table()) {
      if (m.mountPoint().equals(want)) {
        found = m;
      }
    }
    return Optional.ofNullable(found);
  }

  /** Whether a FUSE filesystem is mounted at {@code dir}. */
  public static boolean isFuseMounted(Path dir) throws IOException {
    return at(dir).map(m -> m.type().equals("fuse") || m.type().startsWith("fuse.")).orElse(false);
  }

  static List<Mount> table() throws IOException {
    List<Mount> out = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
      // id parent major:minor root mountpoint options [optional fields...] - type source superoptions
      String[] f = line.split(" ");
      int dash = line.indexOf(" - ");
      if (f.length < 5 || dash < 0) {
        continue;
      }
      String[] tail = line.substring(dash + 3).split(" ");
      int colon = f[2].indexOf(':');
      out.add(new Mount(Path.of(unescape(f[4])), Integer.parseInt(f[2].substring(0, colon)),
          Integer.parseInt(f[2].substring(colon + 1)), tail[0], tail.length > 1 ? unescape(tail[1]) : "", f[5],
          tail.length > 2 ? tail[2] : ""));
    }
    return out;
  }

  /** The kernel writes space, tab, newline and backslash in mount paths as octal escapes. */
  static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && isOctal(s, i + 1)) {
        b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static boolean isOctal(String s, int at) {
    if (at + 3 > s.length()) {
      return false;
    }
    for (int i = at; i < at + 3; i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '7') {
        return false;
      }
    }
    return true;
  }

  /**
   * Unmounts the FUSE mount at {@code dir}: with fusermount3 (or libfuse 2's fusermount), which
   * also works for a mount whose server died (ENOTCONN) and for a user's own mount, then with umount. {@code lazy} detaches a busy mount.
   */
  public static void unmount(Path dir, boolean lazy) throws IOException {
    String path = dir.toAbsolutePath().normalize().toString();
    List<String> tried = new ArrayList<>();
    for (List<String> cmd : List.of(
        lazy ? List.of("fusermount3", "-u", "-z", path) : List.of("fusermount3", "-u", path),
        lazy ? List.of("fusermount", "-u", "-z", path) : List.of("fusermount", "-u", path),
        lazy ? List.of("umount", "-l", path) : List.of("umount", path))) {
      Result r = run(cmd);
      if (r.code == 0 || !at(dir).isPresent()) {
        return;
      }
      tried.add(String.join(" ", cmd) + ": " + r.output.strip());
    }
    throw new IOException("cannot unmount " + path + ": " + String.join("; ", tried));
  }

  private record Result(int code, String output) {}

  private static Result run(List<String> cmd) throws IOException {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return new Result(p.waitFor(), out);
    } catch (IOException e) {
      return new Result(127, e.getMessage()); // not installed: try the next way
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while unmounting", e);
    }
  }
}
