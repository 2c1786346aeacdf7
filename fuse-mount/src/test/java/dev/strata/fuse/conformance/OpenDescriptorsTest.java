package dev.strata.fuse.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.fuse.TestHost;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Descriptors held while their names go: each scenario opens a file or directory, removes its
 * name (unlink, a rename over it, rmdir), and then works through the descriptor alone (fstat,
 * read, write, ftruncate, fchmod, fchown, futimens, f*xattr, fsync, getdents), as root and as
 * uid 1000. The same script runs on kernel overlayfs and on the FUSE mount under test over the
 * same lowers, and the two traces must be equal line for line: the kernel is the oracle.
 */
class OpenDescriptorsTest {
  @TempDir
  Path dir;
  private final List<Runnable> unmounts = new ArrayList<>();

  /** The scenarios, each a function of the script below. */
  @ParameterizedTest
  @ValueSource(strings = {"new_file", "lower_read_only", "lower_read_write", "metacopy_then_write",
      "renamed_over", "hard_linked_lower", "new_directory", "lower_directory", "as_user_own_file",
      "as_user_lower_file"})
  void theDescriptorAnswersAsTheKernelsOverlayDoes(String scenario) throws Exception {
    List<String> kernel = trace(Overlay.KERNEL, scenario);
    List<String> fuse = trace(Overlay.FUSE, scenario);
    assertThat(kernel).as("the kernel's trace").isNotEmpty();
    assertThat(String.join("\n", fuse)).as("the FUSE mount's trace, against the kernel's")
        .isEqualTo(String.join("\n", kernel));
  }

  private List<String> trace(Overlay overlay, String scenario) throws Exception {
    Path base = Files.createDirectories(dir.resolve(overlay.name().toLowerCase()));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    ConformanceLowers lowers = ConformanceLowers.build(base, TestHost.ofProcess());
    // A directory uid 1000 may write in, and a lower file it owns, for the scenarios run as it.
    Path shared = Files.createDirectories(lowers.top().resolve("shared"));
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.writeString(shared.resolve("theirs"), "owned by 1000\n");
    TestHost.ofProcess().lchown(shared.resolve("theirs"), AsUser.ALICE, AsUser.ALICE);
    Files.createDirectories(lowers.top().resolve("empty"));
    Path upper = Files.createDirectories(base.resolve("upper"));
    Path work = Files.createDirectories(base.resolve("work"));
    Path mnt = Files.createDirectories(base.resolve("mnt"));
    overlay.mount(lowers.topFirst(), upper, work, mnt);
    unmounts.add(() -> {
      try {
        overlay.unmount(mnt);
      } catch (IOException | InterruptedException e) {
        throw new AssertionError(e);
      }
    });
    Path script = Files.writeString(dir.resolve("descriptors.py"), SCRIPT);
    List<String> command = new ArrayList<>();
    if (scenario.startsWith("as_user")) {
      command.addAll(List.of("setpriv", "--reuid=" + AsUser.ALICE, "--regid=" + AsUser.ALICE, "--clear-groups", "--"));
    }
    command.addAll(List.of("/usr/bin/python3", script.toString(), mnt.toString(), scenario));
    Command run = Command.run(command);
    assertThat(run.status()).as(run.output()).isZero();
    List<String> lines = new ArrayList<>(List.of(run.output().split("\n")));
    lines.removeIf(String::isBlank);
    return lines;
  }

  @AfterEach
  void unmount() {
    unmounts.forEach(Runnable::run);
  }

  /** One function per scenario; every step prints its result or the errno's name. */
  private static final String SCRIPT = """
      import errno, os, sys

      m, scenario = sys.argv[1], sys.argv[2]

      def step(label, call):
          try:
              r = call()
              print(label, 'ok' if r is None else r)
          except OSError as e:
              print(label, errno.errorcode.get(e.errno, e.errno))

      def stat(fd):
          s = os.fstat(fd)
          return 'type=%o mode=%o size=%d nlink=%d uid=%d gid=%d' % (
              s.st_mode >> 12, s.st_mode & 0o7777, s.st_size, s.st_nlink, s.st_uid, s.st_gid)

      SET = (1500000000123456789, 1600000000987654321)

      def times(fd):
          s = os.fstat(fd)
          return 'as set' if (s.st_atime_ns, s.st_mtime_ns) == SET else 'not as set'

      def through(fd, writable=True, owner=(4321, 4321)):
          step('fstat', lambda: stat(fd))
          step('pread', lambda: os.pread(fd, 100, 0))
          if writable:
              step('pwrite', lambda: os.pwrite(fd, b'written', 2))
              step('fstat after write', lambda: stat(fd))
              step('ftruncate 5', lambda: os.ftruncate(fd, 5))
              step('ftruncate 9', lambda: os.ftruncate(fd, 9))
              step('pread after truncate', lambda: os.pread(fd, 100, 0))
          else:
              step('ftruncate read-only', lambda: os.ftruncate(fd, 1))
          step('fchmod', lambda: os.fchmod(fd, 0o640))
          step('fstat after chmod', lambda: stat(fd))
          step('fchown', lambda: os.fchown(fd, *owner))
          step('fstat after chown', lambda: stat(fd))
          step('futimens', lambda: os.utime(fd, ns=SET))
          step('times', lambda: times(fd))
          step('fsetxattr', lambda: os.setxattr(fd, 'user.k', b'v'))
          step('fgetxattr', lambda: os.getxattr(fd, 'user.k'))
          step('flistxattr', lambda: sorted(n for n in os.listxattr(fd) if n.startswith('user.')))
          step('fremovexattr', lambda: os.removexattr(fd, 'user.k'))
          step('fsync', lambda: os.fsync(fd))
          step('pread at the end', lambda: os.pread(fd, 100, 0))
          step('fstat at the end', lambda: stat(fd))

      def after(name):
          step('name gone', lambda: os.path.lexists(os.path.join(m, name)))
          step('listing', lambda: sorted(os.listdir(m)))

      if scenario == 'new_file':
          fd = os.open(m + '/new', os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
          os.write(fd, b'new file\\n')
          step('unlink', lambda: os.unlink(m + '/new'))
          through(fd)
          os.close(fd)
          after('new')
      elif scenario == 'lower_read_only':
          fd = os.open(m + '/a', os.O_RDONLY)
          step('unlink', lambda: os.unlink(m + '/a'))
          through(fd, writable=False)
          os.close(fd)
          after('a')
      elif scenario == 'lower_read_write':
          fd = os.open(m + '/a', os.O_RDWR)
          step('unlink', lambda: os.unlink(m + '/a'))
          through(fd)
          os.close(fd)
          after('a')
      elif scenario == 'metacopy_then_write':
          os.chmod(m + '/big', 0o600)
          fd = os.open(m + '/big', os.O_RDONLY)
          step('unlink', lambda: os.unlink(m + '/big'))
          step('fstat', lambda: stat(fd))
          step('pread', lambda: len(os.pread(fd, 1000000, 0)))
          try:
              fd2 = os.open('/proc/self/fd/%d' % fd, os.O_RDWR)
              step('reopened', lambda: stat(fd2))
              step('pwrite through the reopen', lambda: os.pwrite(fd2, b'x', 0))
              step('pread first bytes', lambda: os.pread(fd, 4, 0))
              step('fstat after', lambda: stat(fd2))
              os.close(fd2)
          except OSError as e:
              print('reopen for writing', errno.errorcode.get(e.errno, e.errno))
          os.close(fd)
          after('big')
      elif scenario == 'renamed_over':
          fd = os.open(m + '/a', os.O_RDWR)
          step('rename c over a', lambda: os.rename(m + '/c', m + '/a'))
          through(fd)
          step('a by name', lambda: open(m + '/a', 'rb').read())
          os.close(fd)
          after('c')
      elif scenario == 'hard_linked_lower':
          fd = os.open(m + '/h1', os.O_RDWR)
          step('unlink', lambda: os.unlink(m + '/h1'))
          step('fstat', lambda: stat(fd))
          step('pwrite', lambda: os.pwrite(fd, b'TWO', 0))
          step('other name', lambda: open(m + '/hd/h2', 'rb').read())
          step('other name stat', lambda: os.stat(m + '/hd/h2').st_nlink)
          step('fchmod', lambda: os.fchmod(fd, 0o600))
          step('other name mode', lambda: '%o' % (os.stat(m + '/hd/h2').st_mode & 0o7777))
          os.close(fd)
          after('h1')
      elif scenario in ('new_directory', 'lower_directory'):
          name = 'dd' if scenario == 'new_directory' else 'empty'
          if name == 'dd':
              os.mkdir(m + '/dd', 0o755)
          fd = os.open(m + '/' + name, os.O_RDONLY | os.O_DIRECTORY)
          step('rmdir', lambda: os.rmdir(m + '/' + name))
          step('fstat', lambda: stat(fd))
          step('getdents', lambda: os.listdir(fd))
          step('fchmod', lambda: os.fchmod(fd, 0o700))
          step('fstat after chmod', lambda: stat(fd))
          step('fchown', lambda: os.fchown(fd, 4321, 4321))
          step('fstat after chown', lambda: stat(fd))
          step('fsetxattr', lambda: os.setxattr(fd, 'user.k', b'v'))
          step('fgetxattr', lambda: os.getxattr(fd, 'user.k'))
          step('mkdirat', lambda: os.mkdir('x', dir_fd=fd))
          step('fsync', lambda: os.fsync(fd))
          os.close(fd)
          after(name)
      elif scenario == 'as_user_own_file':
          fd = os.open(m + '/shared/mine', os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
          os.write(fd, b'mine\\n')
          step('unlink', lambda: os.unlink(m + '/shared/mine'))
          through(fd, owner=(0, 0))
          os.close(fd)
          step('listing', lambda: sorted(os.listdir(m + '/shared')))
      elif scenario == 'as_user_lower_file':
          fd = os.open(m + '/shared/theirs', os.O_RDWR)
          step('unlink', lambda: os.unlink(m + '/shared/theirs'))
          through(fd, owner=(1000, 0))
          os.close(fd)
          step('listing', lambda: sorted(os.listdir(m + '/shared')))
      else:
          raise SystemExit('no scenario ' + scenario)
      """;
}
