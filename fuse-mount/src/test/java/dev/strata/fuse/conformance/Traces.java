package dev.strata.fuse.conformance;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Python programs that act on a mount through plain system calls, by bytes, and print one line
 * per call: its label, then "ok" (with what it gave) or the name of the errno it failed with.
 * Run with an empty environment, as root or as another user, so that two mounts given the same
 * program can be compared line by line.
 */
final class Traces {
  /** Helpers every program starts with; {@code M} is the mount, {@code A} the other arguments. */
  static final String PRELUDE = """
      import errno, hashlib, os, sys
      M = os.fsencode(sys.argv[1])
      A = [os.fsencode(a) for a in sys.argv[2:]]
      def b(n):
          return n if isinstance(n, bytes) else n.encode()
      def at(n):
          return os.path.join(M, b(n))
      def say(label, fn):
          try:
              r = fn()
              print(label + ': ok' + ('' if r is None else ' ' + str(r)), flush=True)
          except OSError as e:
              print(label + ': ' + errno.errorcode.get(e.errno, str(e.errno)), flush=True)
      def with_fd(n, flags, fn=None):
          fd = os.open(at(n), flags, 0o644)
          try:
              return fn(fd) if fn else None
          finally:
              os.close(fd)
      def sha(path):
          with open(path, 'rb') as f:
              return hashlib.sha256(f.read()).hexdigest()[:16]
      def tree(root):
          out = []
          for d, dirs, files in os.walk(root):
              for n in sorted(dirs + files):
                  out.append(os.path.relpath(os.path.join(d, n), root))
          return b' '.join(sorted(out)).decode('ascii', 'backslashreplace')
      def fill(n, chunk=1 << 20, most=1024):
          fd = os.open(at(n), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
          try:
              for _ in range(most):
                  os.write(fd, b'\\xa5' * chunk)
              return 'never full'
          finally:
              os.close(fd)
      """;

  private Traces() {}

  /** Runs {@code program} (after the prelude) as root with {@code args}; its lines. */
  static List<String> run(String program, String... args) throws IOException, InterruptedException {
    return run(0, program, args);
  }

  /** Runs {@code program} as {@code uid} (its own gid, no other groups) with {@code args}; its lines. */
  static List<String> run(int uid, String program, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    if (uid != 0) {
      command.addAll(List.of("/usr/bin/setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--"));
    }
    command.addAll(List.of("/usr/bin/python3", "-c", PRELUDE + program));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().clear();
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IOException("python did not end: " + out);
    }
    if (p.exitValue() != 0) {
      throw new IOException("python exited " + p.exitValue() + ":\n" + out);
    }
    return out.lines().toList();
  }
}
