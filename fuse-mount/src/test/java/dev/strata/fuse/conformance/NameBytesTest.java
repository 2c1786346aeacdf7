package dev.strata.fuse.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A name is bytes: every byte but '/' and NUL, up to NAME_MAX, not necessarily UTF-8, through a
 * mount whose server was started with an empty environment or with each of the locales a
 * container engine or a service manager gives it. The same program lists, creates, renames,
 * unlinks, links, makes directories and symlinks (with such targets) and sets xattrs (with such
 * names) through the kernel's overlay and through strata-overlay on each transport; the traces,
 * GNU find's and ls's listings of the mount, and the upper left on the host must be the
 * kernel's byte for byte.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NameBytesTest {
  /** The lower: names of every kind, made by Python from bytes. */
  private static final String LOWER = """
      L = M
      def mk(path, content=b'x'):
          with open(os.path.join(L, path), 'wb') as f:
              f.write(content)
      os.mkdir(os.path.join(L, b'single'))
      for i in range(0x80, 0x100):
          mk(b'single/' + bytes([i]), bytes([i]))
      for n in NAMES:
          mk(n, n)
      os.mkdir(os.path.join(L, b'd\\xe9j\\xe0'))
      mk(b'd\\xe9j\\xe0/\\xfe')
      os.symlink(b'target\\xfe\\x80\\nend', os.path.join(L, b'sl\\xff'))
      os.setxattr(os.path.join(L, b'\\xc3'), b'user.\\xff\\xfe', b'\\x80v')
      """;

  /**
   * Bytes 0x80..0xff in one name, invalid UTF-8 (a lone lead byte, an encoded surrogate, an
   * overlong '/', past U+10FFFF, the UTF-8 of an escaped byte's own U+DC80), valid UTF-8 of two,
   * three and four bytes, 255-byte names, newline, backslash, a control byte, a leading dash.
   */
  static final String NAMES = """
      NAMES = [bytes(range(0x80, 0x100)), b'\\xc3', b'\\xc3(', b'\\xed\\xa0\\x80', b'\\xc0\\xaf',
               b'\\xf4\\x90\\x80\\x80', b'\\xed\\xb2\\x80', 'ü.txt'.encode(), '日本'.encode(), '😀'.encode(),
               b'\\xff' * 255, 'ü'.encode() * 127 + b'x', b'a' * 255, b'line\\nbreak', b'a\\\\b',
               b'\\x01ctl', b'-dash', b'f\\xfcr']
      """;

  /** What the mount is asked to do; every line says what it gave, names as Python's bytes repr. */
  private static final String CALLS = """
      import subprocess
      def ls(d=b''):
          return sorted(os.listdir(at(d)))
      def content(n):
          with open(at(n), 'rb') as f:
              return f.read()
      say('the root', ls)
      say('single/', lambda: ls(b'single'))
      say('d\\\\xe9j\\\\xe0/', lambda: ls(b'd\\xe9j\\xe0'))
      for n in NAMES:
          say('read %r' % n, lambda: content(n) == n)
      say('a single byte', lambda: [content(b'single/' + bytes([i])) == bytes([i]) for i in range(0x80, 0x100)].count(True))
      say('readlink', lambda: os.readlink(at(b'sl\\xff')))
      say('listxattr', lambda: os.listxattr(at(b'\\xc3')))
      say('getxattr', lambda: os.getxattr(at(b'\\xc3'), b'user.\\xff\\xfe'))
      NEW = [b'new\\xff', b'\\xc3n', 'ü-new'.encode(), b'n\\nl', b'b\\\\s', b'\\xfe' * 255, b'\\xed\\xa0\\x80new']
      for n in NEW:
          say('create %r' % n, lambda: with_fd(n, os.O_WRONLY | os.O_CREAT | os.O_EXCL, lambda fd: os.write(fd, n)))
          say('read it back', lambda: content(n) == n)
      say('rename a lower name', lambda: os.rename(at(bytes(range(0x80, 0x100))), at(b'renamed\\x80')))
      say('rename a new name', lambda: os.rename(at(b'new\\xff'), at(b'moved\\xa0\\n')))
      say('rename a lower directory', lambda: os.rename(at(b'd\\xe9j\\xe0'), at(b'd\\xe8')))
      say('unlink a lower name', lambda: os.unlink(at(b'\\xc3(')))
      say('unlink a single byte', lambda: os.unlink(at(b'single/\\x80')))
      say('unlink a new name', lambda: os.unlink(at(b'n\\nl')))
      say('mkdir', lambda: os.mkdir(at(b'dir\\xa0')))
      say('create in it', lambda: with_fd(b'dir\\xa0/\\xb0', os.O_WRONLY | os.O_CREAT))
      say('symlink', lambda: os.symlink(b'\\xff/target\\n\\\\', at(b'link\\xc0')))
      say('its target', lambda: os.readlink(at(b'link\\xc0')))
      say('link', lambda: os.link(at(b'f\\xfcr'), at(b'hard\\x81')))
      say('its content', lambda: content(b'hard\\x81'))
      say('setxattr', lambda: os.setxattr(at(b'\\xc3n'), b'user.\\xe9\\xff', b'\\x00\\xff'))
      say('setxattr on a lower name', lambda: os.setxattr(at(b'f\\xfcr'), b'user.\\x80', b'v'))
      say('its xattrs', lambda: sorted(os.listxattr(at(b'\\xc3n'))))
      say('getxattr', lambda: os.getxattr(at(b'\\xc3n'), b'user.\\xe9\\xff'))
      say('removexattr', lambda: os.removexattr(at(b'\\xc3'), b'user.\\xff\\xfe'))
      say('the xattrs left', lambda: os.listxattr(at(b'\\xc3')))
      say('the root at the end', ls)
      say('single/ at the end', lambda: ls(b'single'))
      say('d\\\\xe8/', lambda: ls(b'd\\xe8'))
      say('dir\\\\xa0/', lambda: ls(b'dir\\xa0'))
      def run(*command):
          return subprocess.run(command, env={}, check=True, capture_output=True).stdout
      say('find', lambda: sorted(run('/usr/bin/find', M, '-mindepth', '1', '-printf', '%y %P\\\\0').split(b'\\0')))
      say('ls', lambda: run('/bin/ls', '-1a', '--quoting-style=escape', M))
      """;

  /** The upper as the host holds it: each entry's type and path, and the user xattrs of files. */
  private static final String UPPER = """
      out = []
      for d, dirs, files in os.walk(M):
          for n in dirs + files:
              p = os.path.join(d, n)
              st = os.lstat(p)
              kind = 'd' if os.path.isdir(p) and not os.path.islink(p) else 'l' if os.path.islink(p) else \\
                  'c' if (st.st_mode & 0o170000) == 0o020000 else 'f'
              x = [] if kind == 'l' else sorted(a for a in os.listxattr(p, follow_symlinks=False) if a.startswith('user.'))
              out.append((os.path.relpath(p, M), kind, x))
      for e in sorted(out):
          print(repr(e))
      """;

  /** Each server environment: none at all, then the three locales the field gives. */
  private static final List<Map<String, String>> ENVIRONMENTS = List.of(Map.of(), Map.of("LC_ALL", "C"),
      Map.of("LANG", "POSIX"), Map.of("LC_ALL", "C.UTF-8"));

  @TempDir static Path dir;
  private List<String> kernelCalls;
  private List<String> kernelUpper;
  private int mounts;

  @BeforeAll
  void kernel() throws Exception {
    Result k = on(MountProgram.KERNEL_OVERLAY, Map.of());
    kernelCalls = k.calls;
    kernelUpper = k.upper;
    assertThat(kernelCalls).as("every call of the kernel's trace succeeded").allMatch(l -> l.contains(": ok"));
  }

  static Stream<Arguments> servers() {
    return Stream.of(MountProgram.STRATA_DEV_FUSE, MountProgram.STRATA_LIBFUSE)
        .flatMap(p -> ENVIRONMENTS.stream().map(env -> Arguments.of(p, env)));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("servers")
  void everyNameIsItsBytesWhateverTheServersLocale(MountProgram program, Map<String, String> env) throws Exception {
    Result r = on(program, env);
    assertThat(r.calls).containsExactlyElementsOf(kernelCalls);
    assertThat(r.upper).containsExactlyElementsOf(kernelUpper);
  }

  /**
   * fuse-overlayfs, started with an empty environment, beside them: it keeps every name's bytes
   * too, and differs from the kernel in two calls of its own whatever the locale: a 255-byte
   * name is ENAMETOOLONG (it keeps room for its ".wh." prefix: 251 bytes at most) and renaming a
   * lower directory is EXDEV; the listings made after them differ accordingly, and nothing else.
   */
  @Test
  void fuseOverlayfsSideBySide() throws Exception {
    Result r = on(MountProgram.FUSE_OVERLAYFS, Map.of());
    List<String> differing = new ArrayList<>(kernelCalls);
    differing.removeAll(r.calls);
    String longest = "create b'" + "\\xfe".repeat(255) + "'";
    assertThat(differing.stream().map(NameBytesTest::label).distinct())
        .containsExactlyInAnyOrder(longest, "rename a lower directory",
            "the root at the end", "d\\xe8/", "find", "ls");
    assertThat(r.calls).contains(longest + ": ENAMETOOLONG", "rename a lower directory: EXDEV");
  }

  /** What a line of a trace is about: the text before its answer. */
  private static String label(String line) {
    return line.substring(0, line.indexOf(": "));
  }

  private record Result(List<String> calls, List<String> upper) {}

  /** Mounts fresh lowers with {@code program} started in {@code env}, runs the calls, unmounts. */
  private Result on(MountProgram program, Map<String, String> env) throws Exception {
    Path base = Files.createDirectories(dir.resolve(program + "-" + mounts++));
    Path lower = Files.createDirectories(base.resolve("lower"));
    Traces.run(NAMES + LOWER, lower.toString());
    Path upper = Files.createDirectories(base.resolve("upper"));
    Path mnt = Files.createDirectories(base.resolve("mnt"));
    program.mount(List.of(lower), upper, Files.createDirectories(base.resolve("work")), mnt, env);
    List<String> calls;
    try {
      calls = Traces.run(NAMES + CALLS, mnt.toString());
    } finally {
      program.unmount(mnt);
    }
    return new Result(calls, Traces.run(UPPER, upper.toString()));
  }
}
