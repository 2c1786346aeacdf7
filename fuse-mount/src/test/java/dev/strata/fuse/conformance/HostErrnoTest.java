package dev.strata.fuse.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every errno the host gives the server is the errno the caller gets: the upper on a filesystem
 * of its own whose limits the test reaches (a file past ext4's 16 TiB, a full disk, a quota, a
 * remount read-only, names past NAME_MAX), the same calls made through the kernel's overlay and
 * through the mount under test, the two traces compared line by line. strata-overlay must give
 * the kernel's trace on both transports; fuse-overlayfs's differences are listed where it runs.
 */
class HostErrnoTest {
  private static final long PAST_EXT4 = 999_999_999_999_999L;

  @TempDir Path dir;
  private int sessions;

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = MountProgram.class, names = "KERNEL_OVERLAY", mode = EnumSource.Mode.EXCLUDE)
  void aFilePastTheFilesystemsLimitIsEFBIG(MountProgram program) throws Exception {
    String calls = """
        with_fd('new', os.O_WRONLY | os.O_CREAT)
        say('truncate a new file past the limit', lambda: os.truncate(at('new'), %1$d))
        say('truncate a lower file past the limit', lambda: os.truncate(at('lower.txt'), %1$d))
        say('the lower file reads as before', lambda: sha(at('lower.txt')))
        say('ftruncate past the limit', lambda: with_fd('new', os.O_RDWR, lambda fd: os.ftruncate(fd, %1$d)))
        say('pwrite past the limit', lambda: with_fd('new', os.O_WRONLY, lambda fd: os.pwrite(fd, b'x', 1 << 44)))
        say('truncate to 1 TiB', lambda: os.truncate(at('new'), 1 << 40))
        say('its size', lambda: os.stat(at('new')).st_size)
        say('truncate to a negative size', lambda: os.truncate(at('new'), -1))
        """.formatted(PAST_EXT4);
    assertAnswersAsTheKernel(program, p -> {
      try (Session s = Session.ext4(this, p, 32)) {
        return s.run(calls);
      }
    }, List.of("truncate a new file past the limit: EFBIG", "pwrite past the limit: EFBIG"),
        Map.of("pwrite past the limit: EFBIG", "pwrite past the limit: EIO"));
  }

  /**
   * A disk filled through the mount: copy-up of a lower file larger than the free space fails
   * leaving nothing behind (the lower file still reads, the upper holds no part of it, the space
   * is free again); then what needs space (data, a copy-up, a long symlink) and, once the inodes
   * are gone too, what needs an inode is ENOSPC; removing a file makes room again (once the
   * kernel has forgotten its inode, a moment after the unlink).
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(value = MountProgram.class, names = "KERNEL_OVERLAY", mode = EnumSource.Mode.EXCLUDE)
  void aFullDiskIsENOSPCAndAFailedCopyUpLeavesNothing(MountProgram program) throws Exception {
    String calls = """
        U = A[0]
        def used():
            s = os.statvfs(U)
            return (s.f_blocks - s.f_bfree) * s.f_frsize
        before = used()
        say('open a lower file larger than the free space to write', lambda: with_fd('big', os.O_WRONLY))
        say('it reads as the lower file', lambda: sha(at('big')) == sha(A[1]))
        say('the upper holds', lambda: tree(os.path.join(U, b'upper')))
        say('the space is free again', lambda: used() - before < (1 << 20))
        say('write a new file until the disk is full', lambda: fill('fill'))
        say('write to another new file', lambda: with_fd('small', os.O_WRONLY | os.O_CREAT, lambda fd: os.write(fd, b'y' * 4096)))
        say('copy up a small lower file', lambda: with_fd('lower.txt', os.O_WRONLY))
        say('it reads as before', lambda: sha(at('lower.txt')))
        say('symlink with a 1000-byte target', lambda: os.symlink(b'z' * 1000, at('link')))
        say('mkdir', lambda: os.mkdir(at('newdir')))
        def creates():
            for i in range(1000):
                try:
                    with_fd('c%d' % i, os.O_WRONLY | os.O_CREAT)
                except OSError as e:
                    return errno.errorcode[e.errno]
            return 'never refused'
        say('create files until refused', creates)
        say('mkdir with no inode left', lambda: os.mkdir(at('nd')))
        say('symlink with no inode left', lambda: os.symlink(b't', at('sl')))
        say('remove the full file', lambda: os.unlink(at('fill')))
        say('remove a created file', lambda: os.unlink(at('c0')))
        # The removed file's blocks come back when the kernel forgets its inode, a moment after
        # unlink returns: the FUSE server keeps the file for descriptors until then, as the
        # kernel's overlay keeps it for an O_PATH descriptor (docs/mounts.md).
        import time
        deadline = time.monotonic() + 10
        while os.statvfs(U).f_bfree == 0 and time.monotonic() < deadline:
            time.sleep(0.001)
        say('write 1 MiB again', lambda: with_fd('again', os.O_WRONLY | os.O_CREAT, lambda fd: os.write(fd, b'a' * (1 << 20))))
        """;
    assertAnswersAsTheKernel(program, p -> {
      try (Session s = Session.tmpfs(this, p, 8, 64)) {
        return s.run(calls, s.fs.root().toString(), s.lower.resolve("big").toString());
      }
    }, List.of("open a lower file larger than the free space to write: ENOSPC", "it reads as the lower file: ok True",
        "the upper holds: ok ", "the space is free again: ok True", "write a new file until the disk is full: ENOSPC",
        "copy up a small lower file: ENOSPC", "create files until refused: ok ENOSPC"),
        Map.of("symlink with a 1000-byte target: ENOSPC", "symlink with a 1000-byte target: ENOMEM",
            "symlink with no inode left: ENOSPC", "symlink with no inode left: ENOMEM"));
  }

  /** The upper's quota group full, uid 1000 writing through the mount (allow_other). */
  @ParameterizedTest(name = "{0}")
  @EnumSource(value = MountProgram.class, names = "KERNEL_OVERLAY", mode = EnumSource.Mode.EXCLUDE)
  void aFullQuotaIsEDQUOT(MountProgram program) throws Exception {
    String calls = """
        say('open a lower file larger than the quota to write', lambda: with_fd('big', os.O_WRONLY))
        say('it reads as the lower file', lambda: sha(at('big')) == sha(A[0]))
        say('write a new file past the quota', lambda: fill('fill'))
        say('create', lambda: with_fd('empty', os.O_WRONLY | os.O_CREAT | os.O_EXCL))
        say('mkdir', lambda: os.mkdir(at('newdir')))
        """;
    assertAnswersAsTheKernel(program, p -> {
      try (Session s = Session.btrfsWithQuota(this, p, 256, 4)) {
        return s.runAs(AsUser.ALICE, calls, s.lower.resolve("big").toString());
      }
    }, List.of("open a lower file larger than the quota to write: EDQUOT", "write a new file past the quota: EDQUOT"),
        Map.of("write a new file past the quota: EDQUOT", "write a new file past the quota: EIO"));
  }

  /** The upper's filesystem turned read-only under a live mount: every change is EROFS, reads go on. */
  @ParameterizedTest(name = "{0}")
  @EnumSource(value = MountProgram.class, names = "KERNEL_OVERLAY", mode = EnumSource.Mode.EXCLUDE)
  void anUpperRemountedReadOnlyIsEROFS(MountProgram program) throws Exception {
    String before = """
        with_fd('up', os.O_WRONLY | os.O_CREAT, lambda fd: os.write(fd, b'upper'))
        os.mkdir(at('ud'))
        """;
    String calls = """
        say('open an upper file to write', lambda: with_fd('up', os.O_WRONLY))
        say('open a lower file to write', lambda: with_fd('lower.txt', os.O_WRONLY))
        say('create', lambda: with_fd('new', os.O_WRONLY | os.O_CREAT))
        say('mkdir', lambda: os.mkdir(at('nd')))
        say('symlink', lambda: os.symlink(b't', at('sl')))
        say('link', lambda: os.link(at('up'), at('up2')))
        say('rename', lambda: os.rename(at('up'), at('up3')))
        say('unlink an upper file', lambda: os.unlink(at('up')))
        say('unlink a lower file', lambda: os.unlink(at('lower.txt')))
        say('rmdir', lambda: os.rmdir(at('ud')))
        say('chmod', lambda: os.chmod(at('up'), 0o600))
        say('chown', lambda: os.chown(at('up'), 1000, 1000))
        say('truncate', lambda: os.truncate(at('up'), 0))
        say('utimes', lambda: os.utime(at('up'), (1, 1)))
        say('setxattr', lambda: os.setxattr(at('up'), b'user.x', b'1'))
        say('chmod a lower file', lambda: os.chmod(at('lower.txt'), 0o600))
        say('read the upper file', lambda: open(at('up'), 'rb').read())
        say('read the lower file', lambda: sha(at('lower.txt')))
        """;
    assertAnswersAsTheKernel(program, p -> {
      try (Session s = Session.ext4(this, p, 16)) {
        s.run(before);
        s.fs.failReadOnly();
        return s.run(calls);
      }
    }, List.of("create: EROFS", "open a lower file to write: EROFS", "read the upper file: ok b'upper'"),
        Map.of("symlink: EROFS", "symlink: ENOMEM"));
  }

  /** Names past NAME_MAX, targets past PATH_MAX, and the answers of names that exist or do not. */
  @ParameterizedTest(name = "{0}")
  @EnumSource(value = MountProgram.class, names = "KERNEL_OVERLAY", mode = EnumSource.Mode.EXCLUDE)
  void namesAndPlacesAnswerAsTheKernel(MountProgram program) throws Exception {
    String calls = """
        L = 'n' * 256
        say('create a 256-byte name', lambda: with_fd(L, os.O_WRONLY | os.O_CREAT))
        say('mkdir a 256-byte name', lambda: os.mkdir(at(L)))
        say('symlink at a 256-byte name', lambda: os.symlink(b't', at(L)))
        say('rename a lower file to a 256-byte name', lambda: os.rename(at('lower.txt'), at(L)))
        say('link at a 256-byte name', lambda: os.link(at('lower.txt'), at(L)))
        say('lstat a 256-byte name', lambda: os.lstat(at(L)) and None)
        say('create a 255-byte name', lambda: with_fd('m' * 255, os.O_WRONLY | os.O_CREAT))
        say('symlink with a 4095-byte target', lambda: os.symlink(b't' * 4095, at('s4095')))
        say('its target', lambda: len(os.readlink(at('s4095'))))
        say('symlink with a 4096-byte target', lambda: os.symlink(b't' * 4096, at('s4096')))
        say('setxattr with a 256-byte name', lambda: os.setxattr(at('lower.txt'), b'user.' + b'x' * 251, b'1'))
        say('setxattr with a value of 64 KiB and 1', lambda: os.setxattr(at('lower.txt'), b'user.v', b'v' * 65537))
        say('mkdir over a lower directory', lambda: os.mkdir(at('ldir')))
        say('create exclusively over a lower file', lambda: with_fd('lower.txt', os.O_WRONLY | os.O_CREAT | os.O_EXCL))
        say('link over a lower file', lambda: os.link(at('lower.txt'), at('ldir/x')))
        say('symlink over a lower directory', lambda: os.symlink(b't', at('ldir')))
        say('rmdir a lower directory with entries', lambda: os.rmdir(at('ldir')))
        os.mkdir(at('empty'))
        say('rename a directory over a lower one with entries', lambda: os.rename(at('empty'), at('ldir')))
        say('rmdir a file', lambda: os.rmdir(at('lower.txt')))
        say('unlink a directory', lambda: os.unlink(at('ldir')))
        say('rename a file to another filesystem', lambda: os.rename(at('lower.txt'), os.path.join(A[0], b'moved')))
        say('link to another filesystem', lambda: os.link(at('lower.txt'), os.path.join(A[0], b'linked')))
        say('rename a lower directory', lambda: os.rename(at('ldir'), at('ldir2')))
        """;
    assertAnswersAsTheKernel(program, p -> {
      try (Session s = Session.plain(this, p)) {
        return s.run(calls, Files.createDirectories(s.base.resolve("elsewhere")).toString());
      }
    }, List.of("create a 256-byte name: ENAMETOOLONG", "lstat a 256-byte name: ENAMETOOLONG",
        "rmdir a lower directory with entries: ENOTEMPTY", "rename a file to another filesystem: EXDEV"),
        Map.of("create a 255-byte name: ok", "create a 255-byte name: ENAMETOOLONG",
            "lstat a 256-byte name: ENAMETOOLONG", "lstat a 256-byte name: ENOENT",
            "rename a lower directory: ok", "rename a lower directory: EXDEV"));
  }

  /**
   * ext4 keeps at most 65000 names of a file: the 65000th link is EMLINK. Strata's transports
   * only: fuse-overlayfs takes ten minutes to make the links.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(value = MountProgram.class, names = {"STRATA_DEV_FUSE", "STRATA_LIBFUSE"})
  void tooManyLinksIsEMLINK(MountProgram program) throws Exception {
    String calls = """
        with_fd('t', os.O_WRONLY | os.O_CREAT)
        def links():
            for i in range(70000):
                try:
                    os.link(at('t'), at('l%d' % i))
                except OSError as e:
                    return '%s after %d links' % (errno.errorcode[e.errno], i)
            return 'never refused'
        say('link until refused', links)
        """;
    assertAnswersAsTheKernel(program, p -> {
      try (Session s = Session.ext4(this, p, 32)) {
        return s.run(calls);
      }
    }, List.of("link until refused: ok EMLINK after 64999 links"), Map.of());
  }

  /** What one mount program answers to one scenario. */
  interface Scenario {
    List<String> on(MountProgram program) throws Exception;
  }

  /**
   * Runs the scenario on the kernel's overlay and on {@code program}; the kernel must give
   * {@code kernelGives} (the scenario reaches what it means to), and {@code program} the
   * kernel's trace, but for fuse-overlayfs's lines {@code peerDifferences} (kernel line to
   * fuse-overlayfs line).
   */
  private static void assertAnswersAsTheKernel(MountProgram program, Scenario scenario, List<String> kernelGives,
      Map<String, String> peerDifferences) throws Exception {
    List<String> kernel = scenario.on(MountProgram.KERNEL_OVERLAY);
    assertThat(kernel).as("the kernel's answers").containsAll(kernelGives);
    List<String> expected = program != MountProgram.FUSE_OVERLAYFS ? kernel
        : kernel.stream().map(line -> peerDifferences.getOrDefault(line, line)).toList();
    assertThat(scenario.on(program)).as(program + ", the kernel's trace being\n" + String.join("\n", kernel))
        .containsExactlyElementsOf(expected);
  }

  /** One mount: fresh lowers, the upper on a filesystem of its own, unmounted on close. */
  private static final class Session implements AutoCloseable {
    final Path base;
    final Path lower;
    final ScratchFs fs;
    private final MountProgram program;
    private final Path mnt;

    private Session(HostErrnoTest test, MountProgram program, FsMaker maker) throws Exception {
      this.program = program;
      base = Files.createDirectories(test.dir.resolve(program + "-" + test.sessions++));
      // Other users reach the mount through these.
      Files.setPosixFilePermissions(test.dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
      lower = lowerLayer(base.resolve("lower"));
      fs = maker.make(base.resolve("fs"));
      Path upper = Files.createDirectories(fs.root().resolve("upper"));
      Files.setPosixFilePermissions(upper, PosixFilePermissions.fromString("rwxrwxrwx"));
      Path work = Files.createDirectories(fs.root().resolve("work"));
      mnt = Files.createDirectories(base.resolve("mnt"));
      try {
        program.mount(List.of(lower), upper, work, mnt, Map.of());
      } catch (IOException | InterruptedException | RuntimeException e) {
        fs.close();
        throw e;
      }
    }

    static Session ext4(HostErrnoTest test, MountProgram program, int mib) throws Exception {
      return new Session(test, program, at -> ScratchFs.ext4(at, mib));
    }

    static Session tmpfs(HostErrnoTest test, MountProgram program, int mib, int inodes) throws Exception {
      return new Session(test, program, at -> ScratchFs.tmpfs(at, mib, inodes));
    }

    static Session btrfsWithQuota(HostErrnoTest test, MountProgram program, int mib, int limitMib)
        throws Exception {
      return new Session(test, program, at -> ScratchFs.btrfsWithQuota(at, mib, limitMib));
    }

    /** The upper in a directory of the test's own filesystem. */
    static Session plain(HostErrnoTest test, MountProgram program) throws Exception {
      return new Session(test, program, at -> ScratchFs.directory(Files.createDirectories(at)));
    }

    /**
     * The lower: lower.txt, big (24 MiB that do not compress or share blocks, owned by uid
     * 1000), ldir/x, ldir/y; the root writable by all, as the upper's is.
     */
    private static Path lowerLayer(Path lower) throws IOException {
      Files.createDirectories(lower.resolve("ldir"));
      Files.setPosixFilePermissions(lower, PosixFilePermissions.fromString("rwxrwxrwx"));
      Files.writeString(lower.resolve("lower.txt"), "from the lower layer\n");
      Files.writeString(lower.resolve("ldir/x"), "x\n");
      Files.writeString(lower.resolve("ldir/y"), "y\n");
      byte[] big = new byte[24 << 20];
      new Random(24).nextBytes(big);
      Path b = Files.write(lower.resolve("big"), big);
      Files.setAttribute(b, "unix:uid", AsUser.ALICE);
      return lower;
    }

    List<String> run(String calls, String... args) throws IOException, InterruptedException {
      return runAs(0, calls, args);
    }

    List<String> runAs(int uid, String calls, String... args) throws IOException, InterruptedException {
      List<String> all = new ArrayList<>(List.of(mnt.toString()));
      all.addAll(List.of(args));
      return Traces.run(uid, calls, all.toArray(String[]::new));
    }

    @Override
    public void close() throws Exception {
      try {
        if (MountTable.contains(mnt)) {
          program.unmount(mnt);
        }
      } finally {
        fs.close();
      }
    }
  }

  private interface FsMaker {
    ScratchFs make(Path at) throws Exception;
  }
}
