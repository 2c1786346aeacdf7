package dev.strata.union;

import dev.strata.host.Errno;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pure-Java host calls on a real filesystem (ext4 as root here). */
class JavaHostFilesTest {
  private static final JavaHostFiles HOST = JavaHostFiles.INSTANCE;
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
  private static final byte[] BINARY = {0, 1, (byte) 0x80, (byte) 0xff, '\n', '='};

  @TempDir Path dir;

  @Test
  void userXattrsRoundTripBinaryValues() throws IOException {
    Path f = Files.write(dir.resolve("f"), new byte[0]);

    HOST.setxattr(f, "user.bin", BINARY);
    HOST.setxattr(f, "user.empty", new byte[0]);

    assertThat(HOST.getxattr(f, "user.bin")).isEqualTo(BINARY);
    assertThat(HOST.getxattr(f, "user.empty")).isEmpty();
    assertThat(HOST.getxattr(f, "user.none")).isNull();
    assertThat(HOST.listxattr(f)).containsExactlyInAnyOrder("user.bin", "user.empty");
    assertThat(HOST.removexattr(f, "user.bin")).isTrue();
    assertThat(HOST.removexattr(f, "user.bin")).isFalse();
    assertThat(HOST.listxattr(f)).containsExactly("user.empty");
    HOST.setxattr(dir, "user.on-a-dir", BINARY);
    assertThat(HOST.getxattr(dir, "user.on-a-dir")).isEqualTo(BINARY);
  }

  @Test
  void otherNamespacesAreInvisibleAndCannotBeSet() throws Exception {
    Path f = Files.write(dir.resolve("f"), new byte[0]);
    run("setfattr", "-n", "trusted.overlay.opaque", "-v", "y", f.toString());

    assertThat(HOST.getxattr(f, "trusted.overlay.opaque")).isNull();
    assertThat(HOST.listxattr(f)).isEmpty();
    assertThat(HOST.removexattr(f, "trusted.overlay.opaque")).isFalse();
    LowerLayerConformanceTest.assertErrno(() -> HOST.setxattr(f, "security.capability", BINARY), Errno.EOPNOTSUPP);
    LowerLayerConformanceTest.assertErrno(() -> HOST.setxattr(f, "trusted.overlay.opaque", BINARY), Errno.EOPNOTSUPP);
    assertThat(HOST.overlayXattrPrefix()).isEqualTo("user.overlay.");
  }

  @Test
  void xattrsOfSymlinksAndFifosAsLinuxAllowsThemAndWithoutBlocking() throws Exception {
    Path link = Files.createSymbolicLink(dir.resolve("link"), Files.write(dir.resolve("target"), new byte[0]));
    Path fifo = fifo("fifo");

    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
      for (Path p : new Path[] {link, fifo}) {
        assertThat(HOST.getxattr(p, "user.x")).isNull();
        assertThat(HOST.listxattr(p)).isEmpty();
        assertThat(HOST.removexattr(p, "user.x")).isFalse();
        LowerLayerConformanceTest.assertErrno(() -> HOST.setxattr(p, "user.x", BINARY), Errno.EPERM);
      }
    });
    assertThat(HOST.listxattr(dir.resolve("target"))).isEmpty();
    LowerLayerConformanceTest.assertErrno(() -> HOST.getxattr(dir.resolve("none"), "user.x"), Errno.ENOENT);
    LowerLayerConformanceTest.assertErrno(() -> HOST.setxattr(dir.resolve("target"), "user." + "n".repeat(300), BINARY),
        Errno.ERANGE);
  }

  @Test
  void chmodKeepsSetuidSetgidAndSticky() throws Exception {
    Path f = Files.write(dir.resolve("f"), new byte[0]);
    Path d = Files.createDirectory(dir.resolve("d"));
    Path fifo = fifo("fifo");

    for (int mode : new int[] {07777, 04755, 02711, 01777, 0}) {
      HOST.chmod(f, mode);
      assertThat(mode(f)).as(Integer.toOctalString(mode)).isEqualTo(0100000 | mode);
    }
    HOST.chmod(d, 03775);
    assertThat(mode(d)).isEqualTo(040000 | 03775);
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> HOST.chmod(fifo, 0640));
    assertThat(mode(fifo) & 07777).isEqualTo(0640);
    Path link = Files.createSymbolicLink(dir.resolve("link"), f);
    LowerLayerConformanceTest.assertErrno(() -> HOST.chmod(link, 0600), Errno.EOPNOTSUPP);
    assertThat(mode(f) & 07777).isZero();
  }

  @Test
  void lchownChangesASymlinkNotItsTarget() throws IOException {
    Path target = Files.write(dir.resolve("target"), new byte[0]);
    Path link = Files.createSymbolicLink(dir.resolve("link"), target);

    HOST.lchown(link, 1000, 2000);

    assertThat(Files.getAttribute(link, "unix:uid", NOFOLLOW)).isEqualTo(1000);
    assertThat(Files.getAttribute(link, "unix:gid", NOFOLLOW)).isEqualTo(2000);
    assertThat(Files.getAttribute(target, "unix:uid", NOFOLLOW)).isEqualTo(0);
    HOST.lchown(link, -1, 3000);
    assertThat(Files.getAttribute(link, "unix:uid", NOFOLLOW)).isEqualTo(1000);
    assertThat(Files.getAttribute(link, "unix:gid", NOFOLLOW)).isEqualTo(3000);
    HOST.lchown(target, 4_000_000_000L, -1);
    assertThat(Integer.toUnsignedLong((Integer) Files.getAttribute(target, "unix:uid", NOFOLLOW)))
        .isEqualTo(4_000_000_000L);
    LowerLayerConformanceTest.assertErrno(() -> HOST.lchown(dir.resolve("none"), 1, 1), Errno.ENOENT);
  }

  @Test
  void utimensSetsNanosecondsAndNeverFollowsASymlink() throws Exception {
    Path f = Files.write(dir.resolve("f"), new byte[0]);
    Path link = Files.createSymbolicLink(dir.resolve("link"), f);
    Path fifo = fifo("fifo");
    long mtime = 1_700_000_000_123_456_789L;
    long atime = 1_600_000_000_987_654_321L;
    FileTime before = Files.getLastModifiedTime(f);

    HOST.utimens(f, atime, mtime);
    HOST.utimens(dir, atime, mtime);
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> HOST.utimens(fifo, atime, mtime));
    HOST.utimens(link, atime + 1000, mtime + 1000);

    for (Path p : new Path[] {f, dir, fifo}) {
      assertThat(Files.getLastModifiedTime(p, NOFOLLOW).toInstant()).as(p.toString()).isEqualTo(instant(mtime));
      assertThat(((FileTime) Files.getAttribute(p, "lastAccessTime", NOFOLLOW)).toInstant()).isEqualTo(instant(atime));
    }
    // The JDK sets a symlink's times through lutimes(3): microseconds.
    assertThat(Files.getLastModifiedTime(link, NOFOLLOW).toInstant()).isEqualTo(instant((mtime + 1000) / 1000 * 1000));
    assertThat(Files.getLastModifiedTime(f, NOFOLLOW)).isNotEqualTo(before);
    assertThat(Files.getLastModifiedTime(f, NOFOLLOW).toInstant()).isEqualTo(instant(mtime));
    // Before 1970 the JDK sets whole seconds only: the second below.
    HOST.utimens(f, -1_500_000_000L, -1_500_000_000L);
    assertThat(Files.getLastModifiedTime(f, NOFOLLOW).toInstant()).isEqualTo(Instant.ofEpochSecond(-2));
    HOST.utimens(f, 0, -86_400_000_000_000L);
    assertThat(Files.getLastModifiedTime(f, NOFOLLOW).toInstant()).isEqualTo(Instant.ofEpochSecond(-86_400));
  }

  @Test
  void renameReplacesAtomically() throws IOException {
    Path a = write("a", "a");
    Path b = write("b", "b");

    HOST.rename(a, b, 0);

    assertThat(Files.exists(a)).isFalse();
    assertThat(Files.readString(b)).isEqualTo("a");
    Path full = Files.createDirectory(dir.resolve("full"));
    Files.write(full.resolve("x"), new byte[0]);
    Path other = Files.createDirectory(dir.resolve("other"));
    LowerLayerConformanceTest.assertErrno(() -> HOST.rename(other, full, 0), Errno.ENOTEMPTY);
    LowerLayerConformanceTest.assertErrno(() -> HOST.rename(dir.resolve("none"), b, 0), Errno.ENOENT);
  }

  @Test
  void renameNoreplaceRefusesAnExistingTarget() throws IOException {
    Path a = write("a", "a");
    Path b = write("b", "b");

    LowerLayerConformanceTest.assertErrno(() -> HOST.rename(a, b, HostFiles.RENAME_NOREPLACE), Errno.EEXIST);
    Path dangling = Files.createSymbolicLink(dir.resolve("dangling"), dir.resolve("none"));
    LowerLayerConformanceTest.assertErrno(() -> HOST.rename(a, dangling, HostFiles.RENAME_NOREPLACE), Errno.EEXIST);
    assertThat(Files.readString(a)).isEqualTo("a");
    assertThat(Files.readString(b)).isEqualTo("b");

    HOST.rename(a, dir.resolve("c"), HostFiles.RENAME_NOREPLACE);

    assertThat(Files.exists(a)).isFalse();
    assertThat(Files.readString(dir.resolve("c"))).isEqualTo("a");
  }

  @Test
  void renameExchangeSwapsTwoNamesOfAnyType() throws IOException {
    Path file = write("file", "f");
    Path sub = Files.createDirectory(dir.resolve("sub"));
    Path d = Files.createDirectory(sub.resolve("d"));
    Files.write(d.resolve("inside"), new byte[0]);

    HOST.rename(file, d, HostFiles.RENAME_EXCHANGE);

    assertThat(Files.isDirectory(file)).isTrue();
    assertThat(Files.exists(file.resolve("inside"))).isTrue();
    assertThat(Files.readString(d)).isEqualTo("f");
    try (var names = Files.list(dir)) {
      assertThat(names.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("file", "sub");
    }
    try (var names = Files.list(sub)) {
      assertThat(names.map(p -> p.getFileName().toString())).containsExactly("d");
    }
    LowerLayerConformanceTest.assertErrno(() -> HOST.rename(file, dir.resolve("none"), HostFiles.RENAME_EXCHANGE),
        Errno.ENOENT);
    LowerLayerConformanceTest.assertErrno(() -> HOST.rename(dir.resolve("none"), file, HostFiles.RENAME_EXCHANGE),
        Errno.ENOENT);
  }

  @Test
  void renameFlagsTheJdkCannotHonourAreRefused() throws IOException {
    Path a = write("a", "a");
    Path b = write("b", "b");

    LowerLayerConformanceTest.assertErrno(() -> HOST.rename(a, b, HostFiles.RENAME_WHITEOUT), Errno.EINVAL);
    LowerLayerConformanceTest.assertErrno(
        () -> HOST.rename(a, b, HostFiles.RENAME_NOREPLACE | HostFiles.RENAME_EXCHANGE), Errno.EINVAL);
    LowerLayerConformanceTest.assertErrno(() -> HOST.rename(a, b, 8), Errno.EINVAL);
    assertThat(Files.readString(a)).isEqualTo("a");
    assertThat(Files.readString(b)).isEqualTo("b");
  }

  @Test
  void noDeviceNodesNoClonesAndASaneStatfs() throws IOException {
    assertThat(HOST.canMknod()).isFalse();
    LowerLayerConformanceTest.assertErrno(() -> HOST.mknod(dir.resolve("c"), 0020000, 0, 0), Errno.EPERM);
    assertThat(Files.exists(dir.resolve("c"), NOFOLLOW)).isFalse();
    assertThat(HOST.cloneFile(write("a", "a"), dir.resolve("b"))).isFalse();

    HostFiles.FsStats s = HOST.statfs(dir);

    assertThat(s.blockSize()).isPositive();
    assertThat(s.blocks()).isPositive();
    assertThat(s.blocksFree()).isBetween(s.blocksAvailable(), s.blocks());
    assertThat(s.nameMax()).isEqualTo(255);
    assertThat(s.blocks() * s.blockSize()).isEqualTo(Files.getFileStore(dir).getTotalSpace());
  }

  private Path write(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content, UTF_8);
  }

  private Path fifo(String name) throws Exception {
    Path p = dir.resolve(name);
    run("mkfifo", p.toString());
    return p;
  }

  private static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW);
  }

  private static Instant instant(long nanos) {
    return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), UTF_8);
    assertThat(p.waitFor()).as(String.join(" ", command) + ": " + out).isZero();
  }
}
