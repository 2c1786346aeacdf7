package dev.strata.host;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host calls on files named by JDK paths, against the kernel itself: runs as root on Linux,
 * /tmp on ext4.
 */
class HostPathsTest {
  private static final int S_IFMT = 0170000;
  private static final int S_IFCHR = 0020000;
  private static final int S_IFIFO = 0010000;

  private final Calls host = new Calls();
  private final List<Path> mounts = new ArrayList<>();

  @TempDir
  Path dir;

  @BeforeAll
  static void rootOnLinux() {
    assumeTrue(System.getProperty("os.name").equals("Linux"), "Linux only");
    assumeTrue(Privileges.ofProcess().mknod(), "needs root");
  }

  @AfterEach
  void unmount() throws Exception {
    for (Path mount : mounts) {
      if (run("umount", mount.toString()) != 0) {
        run("umount", "-l", mount.toString());
      }
    }
  }

  @Test
  void rootWritesTrustedOverlayXattrs() {
    assertThat(host.overlayXattrPrefix()).isEqualTo("trusted.overlay.");
  }

  @Test
  void mknodMakesWhiteoutAndFifo() throws IOException {
    host.mknod(dir.resolve("wh"), S_IFCHR, 0, 0);
    host.mknod(dir.resolve("fifo"), S_IFIFO | 0644, 0, 0);

    Map<String, Object> wh = Files.readAttributes(dir.resolve("wh"), "unix:*", NOFOLLOW_LINKS);
    assertThat((int) wh.get("mode") & S_IFMT).isEqualTo(S_IFCHR);
    assertThat(wh.get("rdev")).isEqualTo(0L);
    Map<String, Object> fifo = Files.readAttributes(dir.resolve("fifo"), "unix:*", NOFOLLOW_LINKS);
    assertThat((int) fifo.get("mode") & S_IFMT).isEqualTo(S_IFIFO);
    assertThat(fifo.get("rdev")).isEqualTo(0L);
  }

  @Test
  void mknodEncodesDeviceNumbersAsGlibc() throws Exception {
    Path dev = dir.resolve("dev");
    host.mknod(dev, S_IFCHR | 0600, 300, 70000);

    assertThat(output("stat", "-c", "%Hr %Lr", dev.toString())).isEqualTo("300 70000");
    assertThat(Files.getAttribute(dev, "unix:rdev", NOFOLLOW_LINKS)).isEqualTo(Stat.makedev(300, 70000));
  }

  @Test
  void mknodOverAnExistingNameIsEexist() throws IOException {
    Files.createFile(dir.resolve("f"));
    assertErrno(() -> host.mknod(dir.resolve("f"), S_IFCHR, 0, 0), Errno.EEXIST);
  }

  @Test
  void xattrsRoundTripInTrustedAndUserNamespaces() throws IOException {
    Path f = Files.createFile(dir.resolve("f"));
    byte[] binary = allBytes(256);
    host.setxattr(f, "trusted.overlay.opaque", "y".getBytes(UTF_8));
    host.setxattr(f, "user.binary", binary);
    host.setxattr(f, "user.empty", new byte[0]);

    assertThat(host.getxattr(f, "trusted.overlay.opaque")).isEqualTo("y".getBytes(UTF_8));
    assertThat(host.getxattr(f, "user.binary")).isEqualTo(binary);
    assertThat(host.getxattr(f, "user.empty")).isEmpty();
    assertThat(host.getxattr(f, "user.missing")).isNull();
    assertThat(host.listxattr(f)).contains("trusted.overlay.opaque", "user.binary", "user.empty");

    assertThat(host.removexattr(f, "user.binary")).isTrue();
    assertThat(host.removexattr(f, "user.binary")).isFalse();
    assertThat(host.getxattr(f, "user.binary")).isNull();
    assertThat(host.listxattr(f)).doesNotContain("user.binary");
  }

  @Test
  void valuesLongerThanTheFirstReadAreReadWhole() throws IOException {
    Path f = Files.createFile(dir.resolve("f"));
    byte[] justOver = allBytes(256 + 1);
    byte[] large = allBytes(2000);
    host.setxattr(f, "user.a", justOver);
    host.setxattr(f, "trusted.b", large);
    // An ext4 file holds about one block of xattrs, names included: the long list goes elsewhere.
    Path g = Files.createFile(dir.resolve("g"));
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      names.add("user.a-long-name-to-fill-the-list-buffer-" + i);
      host.setxattr(g, names.get(i), new byte[0]);
    }

    assertThat(host.getxattr(f, "user.a")).isEqualTo(justOver);
    assertThat(host.getxattr(f, "trusted.b")).isEqualTo(large);
    assertThat(host.listxattr(f)).containsExactlyInAnyOrder("user.a", "trusted.b");
    assertThat(host.listxattr(g)).containsExactlyInAnyOrderElementsOf(names);
  }

  @Test
  void valuesOf64KibRoundTripOnTmpfs() throws Exception {
    Path tmpfs = Files.createDirectory(dir.resolve("tmpfs"));
    mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", tmpfs.toString());
    mounts.add(tmpfs);
    Path f = Files.createFile(tmpfs.resolve("f"));
    byte[] big = allBytes(64 * 1024);

    host.setxattr(f, "user.big", big);
    host.setxattr(f, "trusted.big", big);

    assertThat(host.getxattr(f, "user.big")).isEqualTo(big);
    assertThat(host.getxattr(f, "trusted.big")).isEqualTo(big);
  }

  @Test
  void valuesOf64KibOnExt4NeedEaInode() throws IOException {
    // ext4 keeps a value in the inode or one block unless made with -O ea_inode; /tmp here is not.
    Path f = Files.createFile(dir.resolve("f"));
    byte[] big = allBytes(64 * 1024);
    try {
      host.setxattr(f, "user.big", big);
      assertThat(host.getxattr(f, "user.big")).isEqualTo(big);
    } catch (ErrnoException e) {
      assertThat(e.errno()).isEqualTo(Errno.ENOSPC);
      assertThat(host.getxattr(f, "user.big")).isNull();
    }
  }

  @Test
  void symlinksTakeTrustedXattrsButNotUserOnes() throws IOException {
    Path target = Files.createFile(dir.resolve("target"));
    Path link = Files.createSymbolicLink(dir.resolve("link"), target.getFileName());

    // The kernel refuses user.* on anything but files and directories (xattr(7)).
    assertErrno(() -> host.setxattr(link, "user.x", new byte[] {1}), Errno.EPERM);
    host.setxattr(link, "trusted.overlay.redirect", "/a".getBytes(UTF_8));

    assertThat(host.getxattr(link, "trusted.overlay.redirect")).isEqualTo("/a".getBytes(UTF_8));
    assertThat(host.listxattr(link)).containsExactly("trusted.overlay.redirect");
    assertThat(host.listxattr(target)).isEmpty();
    assertThat(host.getxattr(target, "trusted.overlay.redirect")).isNull();
    assertThat(host.removexattr(link, "trusted.overlay.redirect")).isTrue();
  }

  @Test
  void xattrsOfAMissingFileAreEnoent() {
    Path missing = dir.resolve("missing");
    assertErrno(() -> host.getxattr(missing, "user.x"), Errno.ENOENT);
    assertErrno(() -> host.listxattr(missing), Errno.ENOENT);
    assertErrno(() -> host.removexattr(missing, "user.x"), Errno.ENOENT);
    assertThatThrownBy(() -> host.setxattr(missing, "user.x", new byte[0]))
        .hasMessageContaining(missing.toString()).hasMessageContaining("setxattr user.x");
  }

  @Test
  void lchownChangesTheLinkNotItsTarget() throws IOException {
    Path target = Files.createFile(dir.resolve("target"));
    Path link = Files.createSymbolicLink(dir.resolve("link"), target.getFileName());

    host.lchown(link, 1234, 5678);
    assertThat(owner(link)).containsExactly(1234, 5678);
    assertThat(owner(target)).containsExactly(0, 0);

    host.lchown(link, -1, 42);
    assertThat(owner(link)).containsExactly(1234, 42);
    host.lchown(link, 7, -1);
    assertThat(owner(link)).containsExactly(7, 42);
  }

  @Test
  void lchownClearsSetuidSoModesGoAfterOwners() throws IOException {
    Path f = Files.createFile(dir.resolve("f"));
    host.chmod(f, 06755);
    host.lchown(f, 1000, 1000);
    // Even for root, chown(2) of a non-directory drops setuid and setgid.
    assertThat(mode(f) & 07777).isEqualTo(0755);

    host.chmod(f, 06755);
    assertThat(mode(f) & 07777).isEqualTo(06755);
  }

  @Test
  void chmodKeepsSetuidSetgidAndSticky() throws IOException {
    Path file = Files.createFile(dir.resolve("file"));
    Path sgidDir = Files.createDirectory(dir.resolve("sgid"));
    Path stickyDir = Files.createDirectory(dir.resolve("sticky"));

    host.chmod(file, 04755);
    assertThat(mode(file) & 07777).isEqualTo(04755);
    host.chmod(file, 02755);
    assertThat(mode(file) & 07777).isEqualTo(02755);
    host.chmod(sgidDir, 02755);
    assertThat(mode(sgidDir) & 07777).isEqualTo(02755);
    host.chmod(stickyDir, 01777);
    assertThat(mode(stickyDir) & 07777).isEqualTo(01777);
    host.chmod(file, S_IFIFO | 0600);
    assertThat(mode(file)).isEqualTo(0100600);
  }

  @Test
  void chmodOfASymlinkChangesNothing() throws IOException {
    Path target = Files.createFile(dir.resolve("target"));
    host.chmod(target, 0640);
    Path link = Files.createSymbolicLink(dir.resolve("link"), target.getFileName());
    int linkMode = mode(link);

    host.chmod(link, 0700);

    assertThat(mode(link)).isEqualTo(linkMode);
    assertThat(mode(target) & 07777).isEqualTo(0640);
    assertErrno(() -> host.chmod(dir.resolve("missing"), 0644), Errno.ENOENT);
  }

  @Test
  void utimensSetsNanosecondsOnFiles() throws IOException {
    Path f = Files.createFile(dir.resolve("f"));
    long atime = 1_700_000_000_123_456_789L;
    long mtime = 1_600_000_000_987_654_321L;

    host.utimens(f, atime, mtime);

    assertThat(nanos(f, "lastAccessTime")).isEqualTo(atime);
    assertThat(nanos(f, "lastModifiedTime")).isEqualTo(mtime);

    // Before 1970: seconds round down, nanoseconds stay positive.
    host.utimens(f, -1_500_000_001L, -1L);
    assertThat(nanos(f, "lastAccessTime")).isEqualTo(-1_500_000_001L);
    assertThat(nanos(f, "lastModifiedTime")).isEqualTo(-1L);
  }

  @Test
  void utimensOfASymlinkLeavesItsTarget() throws IOException {
    Path target = Files.createFile(dir.resolve("target"));
    host.utimens(target, 5_000_000_001L, 6_000_000_002L);
    Path link = Files.createSymbolicLink(dir.resolve("link"), target.getFileName());

    host.utimens(link, 1_000_000_003L, 2_000_000_004L);

    assertThat(nanos(link, "lastAccessTime")).isEqualTo(1_000_000_003L);
    assertThat(nanos(link, "lastModifiedTime")).isEqualTo(2_000_000_004L);
    assertThat(nanos(target, "lastAccessTime")).isEqualTo(5_000_000_001L);
    assertThat(nanos(target, "lastModifiedTime")).isEqualTo(6_000_000_002L);
  }

  @Test
  void renameNoreplaceRefusesAnExistingTarget() throws IOException {
    Path a = Files.writeString(dir.resolve("a"), "a");
    Path b = Files.writeString(dir.resolve("b"), "b");

    assertErrno(() -> host.rename(a, b, HostDir.RENAME_NOREPLACE), Errno.EEXIST);
    assertThat(Files.readString(a)).isEqualTo("a");
    assertThat(Files.readString(b)).isEqualTo("b");

    host.rename(a, dir.resolve("c"), HostDir.RENAME_NOREPLACE);
    assertThat(a).doesNotExist();
    assertThat(Files.readString(dir.resolve("c"))).isEqualTo("a");
  }

  @Test
  void renameExchangeSwapsFilesAndDirectories() throws IOException {
    Path a = Files.writeString(dir.resolve("a"), "a");
    Path b = Files.writeString(dir.resolve("b"), "b");
    host.rename(a, b, HostDir.RENAME_EXCHANGE);
    assertThat(Files.readString(a)).isEqualTo("b");
    assertThat(Files.readString(b)).isEqualTo("a");

    Path d1 = Files.createDirectory(dir.resolve("d1"));
    Path d2 = Files.createDirectory(dir.resolve("d2"));
    Files.createFile(d1.resolve("in1"));
    Files.createFile(d2.resolve("in2"));
    host.rename(d1, d2, HostDir.RENAME_EXCHANGE);
    assertThat(d1.resolve("in2")).exists();
    assertThat(d2.resolve("in1")).exists();

    assertErrno(() -> host.rename(a, dir.resolve("none"), HostDir.RENAME_EXCHANGE), Errno.ENOENT);
  }

  @Test
  void renameWhiteoutLeavesACharDeviceBehind() throws IOException {
    Path a = Files.writeString(dir.resolve("a"), "a");
    Path b = dir.resolve("b");

    host.rename(a, b, HostDir.RENAME_WHITEOUT);

    assertThat(Files.readString(b)).isEqualTo("a");
    Map<String, Object> wh = Files.readAttributes(a, "unix:*", NOFOLLOW_LINKS);
    assertThat((int) wh.get("mode") & S_IFMT).isEqualTo(S_IFCHR);
    assertThat(wh.get("rdev")).isEqualTo(0L);
  }

  @Test
  void statfsAgreesWithStatF() throws Exception {
    FsStats stats = host.statfs(dir);
    String[] f = output("stat", "-f", "-c", "%S %b %f %a %c %d %l", dir.toString()).split(" ");

    assertThat(stats.blockSize()).isEqualTo(Long.parseLong(f[0]));
    assertThat(stats.blocks()).isEqualTo(Long.parseLong(f[1]));
    assertThat(stats.files()).isEqualTo(Long.parseLong(f[4]));
    assertThat(stats.nameMax()).isEqualTo(Long.parseLong(f[6]));
    // Other builds share /tmp: free counts may move between the two reads.
    long slack = stats.blocks() / 100;
    assertThat(stats.blocksFree()).isCloseTo(Long.parseLong(f[2]), within(slack));
    assertThat(stats.blocksAvailable()).isCloseTo(Long.parseLong(f[3]), within(slack));
    assertThat(stats.filesFree()).isCloseTo(Long.parseLong(f[5]), within(stats.files() / 100));
    assertThat(stats.blocksAvailable()).isLessThanOrEqualTo(stats.blocksFree());
  }

  @Test
  void cloneFileOnExt4IsFalseAndLeavesNoTarget() throws IOException {
    Path source = Files.writeString(dir.resolve("source"), "content");
    Path target = dir.resolve("target");

    assertThat(host.cloneFile(source, target)).isFalse();

    assertThat(target).doesNotExist();
    assertThat(Files.readString(source)).isEqualTo("content");
  }

  @Test
  void cloneFileNeverTouchesAnExistingTarget() throws IOException {
    Path source = Files.writeString(dir.resolve("source"), "content");
    Path target = Files.writeString(dir.resolve("target"), "mine");

    assertErrno(() -> host.cloneFile(source, target), Errno.EEXIST);
    assertThat(Files.readString(target)).isEqualTo("mine");
    assertErrno(() -> host.cloneFile(dir.resolve("missing"), dir.resolve("t2")), Errno.ENOENT);
    assertThat(dir.resolve("t2")).doesNotExist();
  }

  @Test
  void cloneFileReflinksOnXfs() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/sbin/mkfs.xfs")), "needs xfsprogs");
    Path image = dir.resolve("xfs.img");
    try (var file = new java.io.RandomAccessFile(image.toFile(), "rw")) {
      file.setLength(300L << 20); // the smallest XFS mkfs.xfs makes; sparse
    }
    assertThat(run("mkfs.xfs", "-q", image.toString())).isZero();
    Path xfs = Files.createDirectory(dir.resolve("xfs"));
    mount("-o", "loop", image.toString(), xfs.toString());
    mounts.add(xfs);
    Path source = Files.writeString(xfs.resolve("source"), "content");

    assertThat(host.cloneFile(source, xfs.resolve("target"))).isTrue();
    assertThat(xfs.resolve("target")).hasContent("content");
    assertThat(mode(xfs.resolve("target"))).isEqualTo(0100600);
    Files.writeString(xfs.resolve("target"), "changed");
    assertThat(source).hasContent("content");

    // Across filesystems the kernel answers EXDEV: the caller copies.
    assertThat(host.cloneFile(source, dir.resolve("elsewhere"))).isFalse();
    assertThat(dir.resolve("elsewhere")).doesNotExist();
  }

  @Test
  void errnoIsPerThread() throws Exception {
    Path f = Files.createFile(dir.resolve("f"));
    Path missing = dir.resolve("missing");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        boolean present = t % 2 == 0;
        results.add(pool.submit(() -> {
          for (int i = 0; i < 2000; i++) {
            if (present) {
              assertThat(host.getxattr(f, "user.none")).isNull();
            } else {
              assertErrno(() -> host.getxattr(missing, "user.none"), Errno.ENOENT);
            }
          }
          return null;
        }));
      }
      for (Future<?> result : results) {
        result.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** The marks written here are the ones kernel overlayfs reads, and the other way round. */
  @Test
  void kernelOverlayReadsAndWritesTheSameMarks() throws Exception {
    Path lower = Files.createDirectory(dir.resolve("lower"));
    Path upper = Files.createDirectory(dir.resolve("upper"));
    Path work = Files.createDirectory(dir.resolve("work"));
    Path merged = Files.createDirectory(dir.resolve("merged"));
    Files.writeString(lower.resolve("gone"), "lower");
    Files.writeString(lower.resolve("kept"), "lower");
    Files.createDirectories(lower.resolve("opaque"));
    Files.writeString(lower.resolve("opaque/hidden"), "lower");
    Files.createDirectories(lower.resolve("merged-dir"));
    Files.writeString(lower.resolve("merged-dir/child"), "lower");
    host.mknod(upper.resolve("gone"), S_IFCHR, 0, 0);
    Files.createDirectory(upper.resolve("opaque"));
    host.setxattr(upper.resolve("opaque"), host.overlayXattrPrefix() + "opaque", "y".getBytes(UTF_8));
    Files.writeString(upper.resolve("opaque/new"), "upper");

    mount("-t", "overlay", "overlay", "-o", "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work,
        merged.toString());
    mounts.add(merged);

    assertThat(merged.resolve("gone")).doesNotExist();
    assertThat(merged.resolve("kept")).hasContent("lower");
    assertThat(names(merged.resolve("opaque"))).containsExactly("new");
    assertThat(names(merged.resolve("merged-dir"))).containsExactly("child");

    // The kernel's own marks, read back through the native calls.
    Files.delete(merged.resolve("kept"));
    Files.delete(merged.resolve("merged-dir/child"));
    Files.delete(merged.resolve("merged-dir"));
    Files.createDirectory(merged.resolve("merged-dir"));
    Map<String, Object> wh = Files.readAttributes(upper.resolve("kept"), "unix:*", NOFOLLOW_LINKS);
    assertThat((int) wh.get("mode") & S_IFMT).isEqualTo(S_IFCHR);
    assertThat(wh.get("rdev")).isEqualTo(0L);
    assertThat(host.getxattr(upper.resolve("merged-dir"), "trusted.overlay.opaque")).isEqualTo("y".getBytes(UTF_8));
  }

  private static byte[] allBytes(int length) {
    byte[] bytes = new byte[length];
    for (int i = 0; i < length; i++) {
      bytes[i] = (byte) (255 - i % 256);
    }
    return bytes;
  }

  private static int mode(Path path) throws IOException {
    return (int) Files.getAttribute(path, "unix:mode", NOFOLLOW_LINKS);
  }

  private static List<Integer> owner(Path path) throws IOException {
    Map<String, Object> attrs = Files.readAttributes(path, "unix:uid,gid", NOFOLLOW_LINKS);
    return List.of((Integer) attrs.get("uid"), (Integer) attrs.get("gid"));
  }

  private static long nanos(Path path, String time) throws IOException {
    return ((FileTime) Files.getAttribute(path, "unix:" + time, NOFOLLOW_LINKS)).to(TimeUnit.NANOSECONDS);
  }

  private static List<String> names(Path directory) throws IOException {
    try (var entries = Files.list(directory)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private interface Call {
    void run() throws IOException;
  }

  private static void assertErrno(Call call, Errno errno) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno())
        .isEqualTo(errno));
  }

  private static void mount(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("mount"));
    command.addAll(List.of(args));
    assertThat(run(command.toArray(String[]::new))).as("%s", command).isZero();
  }

  private static String output(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), UTF_8).strip();
    assertThat(p.waitFor()).as("%s: %s", List.of(command), out).isZero();
    return out;
  }

  private static int run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    return p.waitFor();
  }

  /** The calls under test, by the names the tests use. */
  private static final class Calls {
    String overlayXattrPrefix() {
      return Privileges.ofProcess().overlayXattrPrefix();
    }

    void mknod(Path path, int mode, int major, int minor) throws IOException {
      HostPaths.mknod(path, mode, major, minor);
    }

    byte[] getxattr(Path path, String name) throws IOException {
      return HostPaths.getxattr(path, name);
    }

    void setxattr(Path path, String name, byte[] value) throws IOException {
      HostPaths.setxattr(path, name, value);
    }

    boolean removexattr(Path path, String name) throws IOException {
      return HostPaths.removexattr(path, name);
    }

    List<String> listxattr(Path path) throws IOException {
      return HostPaths.listxattr(path);
    }

    void lchown(Path path, long uid, long gid) throws IOException {
      HostPaths.lchown(path, uid, gid);
    }

    void chmod(Path path, int mode) throws IOException {
      HostPaths.chmod(path, mode);
    }

    void utimens(Path path, long atime, long mtime) throws IOException {
      HostPaths.utimens(path, atime, mtime);
    }

    void rename(Path from, Path to, int flags) throws IOException {
      HostPaths.rename(from, to, flags);
    }

    FsStats statfs(Path path) throws IOException {
      return HostPaths.statfs(path);
    }

    /** A reflink of {@code source} as the new file {@code target}, as copy-up makes one. */
    boolean cloneFile(Path source, Path target) throws IOException {
      try (HostFile in = HostFile.open(source, HostFile.O_RDONLY, 0)) {
        boolean cloned;
        try (HostFile out = HostFile.open(target, HostFile.O_WRONLY | HostFile.O_CREAT | HostFile.O_EXCL, 0600)) {
          cloned = out.cloneFrom(in);
        }
        if (!cloned) {
          Files.delete(target);
        }
        return cloned;
      }
    }
  }
}
