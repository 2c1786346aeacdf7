package dev.strata.layer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.host.Names;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The tools tests hold layer tars to, each run with an empty environment (no locale, as podman
 * and systemd start programs) and each answer taken as bytes, in {@link Names}' form: GNU tar,
 * Python's tarfile, umoci (Go's archive/tar) and find.
 */
public final class TarPeers {
  private TarPeers() {}

  /** What a command printed, and its exit code. */
  public record Output(int exit, byte[] out, String err) {}

  /** Runs {@code command} in {@code cwd} with nothing in its environment but PATH. */
  public static Output run(Path cwd, String... command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile());
    pb.environment().clear();
    pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    Process p = pb.start();
    p.getOutputStream().close();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread drain = new Thread(() -> {
      try {
        p.getErrorStream().transferTo(err);
      } catch (IOException e) {
        // the process is gone; what was read is what there is
      }
    });
    drain.start();
    byte[] out = p.getInputStream().readAllBytes();
    int exit = p.waitFor();
    drain.join();
    return new Output(exit, out, Names.printable(Names.decode(err.toByteArray())));
  }

  /** Runs {@code command}, requiring it to succeed; returns its standard output. */
  public static byte[] ok(Path cwd, String... command) throws IOException, InterruptedException {
    Output o = run(cwd, command);
    assertThat(o.exit()).as("%s: %s", String.join(" ", command), o.err()).isZero();
    return o.out();
  }

  /**
   * Returns the member names GNU tar lists, in archive order, as the paths of a layer index
   * (no {@code ./}, no trailing slash, the root left out): read from its escape quoting style,
   * which is unambiguous, and turned back into bytes.
   */
  public static List<String> gnuTarNames(Path tar) throws IOException, InterruptedException {
    byte[] listing = ok(tar.getParent(), "tar", "--quoting-style=escape", "-tf", tar.toString());
    List<String> names = new ArrayList<>();
    for (String line : new String(listing, StandardCharsets.US_ASCII).split("\n")) {
      addMember(names, Names.decode(unescape(line)));
    }
    return names;
  }

  /** Adds a member name as a layer index has its path: no {@code ./}, no trailing slash, not the root. */
  private static void addMember(List<String> names, String member) {
    String name = member.startsWith("./") ? member.substring(2) : member;
    name = name.replaceAll("/+$", "");
    if (!name.isEmpty() && !name.equals(".")) {
      names.add(name);
    }
  }

  /** Returns GNU tar's listing of {@code tar} in its escape style, as it prints it in the C locale. */
  public static List<String> gnuTarListing(Path tar) throws IOException, InterruptedException {
    String listing = new String(ok(tar.getParent(), "tar", "--quoting-style=escape", "-tf", tar.toString()),
        StandardCharsets.US_ASCII);
    return List.of(listing.split("\n"));
  }

  /** Returns the bytes of a name GNU tar's escape style printed. */
  public static byte[] unescape(String escaped) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < escaped.length(); i++) {
      char c = escaped.charAt(i);
      if (c != '\\') {
        out.write(c);
        continue;
      }
      char e = escaped.charAt(++i);
      if (e >= '0' && e <= '7') {
        out.write(Integer.parseInt(escaped.substring(i, i + 3), 8));
        i += 2;
        continue;
      }
      out.write(switch (e) {
        case 'n' -> '\n';
        case 't' -> '\t';
        case 'r' -> '\r';
        case 'a' -> 7;
        case 'b' -> '\b';
        case 'f' -> '\f';
        case 'v' -> 11;
        default -> e; // the backslash itself
      });
    }
    return out.toByteArray();
  }

  /** Returns the member names Python's tarfile reads, surrogateescape turned back into bytes. */
  public static List<String> pythonNames(Path tar) throws IOException, InterruptedException {
    String script = "import os, sys, tarfile\n"
        + "with tarfile.open(sys.argv[1]) as t:\n"
        + "    for m in t:\n"
        + "        sys.stdout.buffer.write(os.fsencode(m.name) + b'\\0')\n";
    List<String> names = new ArrayList<>();
    for (String n : split(ok(tar.getParent(), "python3", "-c", script, tar.toString()))) {
      addMember(names, n);
    }
    return names;
  }

  /** Returns every path under {@code dir} as find prints it with -print0, relative to it. */
  public static List<String> find(Path dir) throws IOException, InterruptedException {
    List<String> names = new ArrayList<>();
    for (String n : split(ok(dir, "find", ".", "-mindepth", "1", "-print0"))) {
      names.add(n.substring(2));
    }
    return names;
  }

  /**
   * Unpacks {@code tar} as the only layer of an image with umoci (Go's archive/tar reads it);
   * returns the rootfs.
   */
  public static Path umociUnpack(Path tar, Path work) throws IOException, InterruptedException {
    Path layout = work.resolve("layout");
    ok(work, "umoci", "init", "--layout", layout.toString());
    ok(work, "umoci", "new", "--image", layout + ":t");
    ok(work, "umoci", "raw", "add-layer", "--image", layout + ":t", tar.toString());
    ok(work, "umoci", "unpack", "--image", layout + ":t", work.resolve("bundle").toString());
    return work.resolve("bundle").resolve("rootfs");
  }

  /** Splits NUL-terminated names. */
  public static List<String> split(byte[] nulTerminated) {
    List<String> names = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < nulTerminated.length; i++) {
      if (nulTerminated[i] == 0) {
        names.add(Names.decode(nulTerminated, start, i - start));
        start = i + 1;
      }
    }
    return names;
  }
}
