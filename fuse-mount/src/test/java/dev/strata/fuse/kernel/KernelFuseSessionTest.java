package dev.strata.fuse.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.fuse.Mounts;
import dev.strata.fuse.Syscalls;
import dev.strata.fuse.TestHost;
import dev.strata.union.HostDirLayer;
import dev.strata.union.UnionFs;
import dev.strata.union.UnionOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The union served over /dev/fuse by {@link KernelMount}, checked through a real mount with
 * plain system calls: what libfuse's path API could not do (renameat2 flags, one inode per
 * hard-linked file) and what every mount must (copy-up, listings, xattrs, large files, open
 * unlinked files, unmount ending the server). Needs root, as the transport does.
 */
class KernelFuseSessionTest {
  private static final int RENAME_NOREPLACE = 1;
  private static final int RENAME_EXCHANGE = 2;
  private static final int AT_FDCWD = -100;
  private static final int EEXIST = 17;
  private static final int ENOENT = 2;
  private static final int ENOTEMPTY = 39;

  @TempDir Path dir;
  private Path lower;
  private Path upper;
  private Path mnt;
  private KernelMount mount;

  @BeforeEach
  void mountUnion() throws IOException {
    lower = Files.createDirectories(dir.resolve("lower"));
    upper = Files.createDirectories(dir.resolve("upper"));
    Path work = Files.createDirectories(dir.resolve("work"));
    mnt = Files.createDirectories(dir.resolve("mnt"));
    Files.writeString(lower.resolve("hello"), "from below\n");
    Files.createDirectories(lower.resolve("sub/deeper"));
    Files.writeString(lower.resolve("sub/one"), "1\n");
    Files.writeString(lower.resolve("sub/two"), "2\n");
    Files.createSymbolicLink(lower.resolve("link"), Path.of("hello"));
    TestHost host = TestHost.ofProcess();
    UnionFs fs = UnionFs.open(List.of(HostDirLayer.open(lower)), upper, work, UnionOptions.defaults(host.privileges()));
    mount = KernelMount.mount(fs, mnt, KernelMountOptions.defaults("strata-kernel-test"));
  }

  @AfterEach
  void unmount() throws IOException {
    try {
      mount.close();
    } finally {
      if (Mounts.at(mnt).isPresent()) {
        Mounts.unmount(mnt, true);
      }
    }
  }

  @Test
  void theMountIsAFuseMountOfItsOwnType() throws IOException {
    Mounts.Mount m = Mounts.at(mnt).orElseThrow();
    assertThat(m.type()).isEqualTo("fuse.strata");
    assertThat(m.source()).isEqualTo("strata-kernel-test");
    assertThat(Files.isDirectory(mnt.resolve("sub/deeper"))).isTrue();
  }

  @Test
  void readsLowerFilesAndSymlinks() throws IOException {
    assertThat(Files.readString(mnt.resolve("hello"))).isEqualTo("from below\n");
    assertThat(Files.readString(mnt.resolve("sub/two"))).isEqualTo("2\n");
    assertThat(Files.readSymbolicLink(mnt.resolve("link"))).isEqualTo(Path.of("hello"));
    assertThat(Files.readString(mnt.resolve("link"))).isEqualTo("from below\n");
    assertThat(Files.exists(mnt.resolve("nothing"))).isFalse();
  }

  @Test
  void writingCopiesUpAndLeavesTheLowerAlone() throws IOException {
    Files.writeString(mnt.resolve("hello"), "changed\n");
    assertThat(Files.readString(mnt.resolve("hello"))).isEqualTo("changed\n");
    assertThat(Files.readString(upper.resolve("hello"))).isEqualTo("changed\n");
    assertThat(Files.readString(lower.resolve("hello"))).isEqualTo("from below\n");

    Files.writeString(mnt.resolve("sub/one"), "appended\n", StandardOpenOption.APPEND);
    assertThat(Files.readString(mnt.resolve("sub/one"))).isEqualTo("1\nappended\n");
    assertThat(Files.readString(upper.resolve("sub/one"))).isEqualTo("1\nappended\n");

    Files.writeString(mnt.resolve("new"), "made here\n");
    assertThat(Files.readString(upper.resolve("new"))).isEqualTo("made here\n");
    assertThat(Files.getAttribute(mnt.resolve("new"), "unix:size")).isEqualTo(10L);
  }

  @Test
  void namesAreMadeAndRemovedWithTheKernelsErrors() throws IOException {
    Syscalls.Calls c = Syscalls.libc();
    assertThat(c.mkdir(Syscalls.c(mnt.resolve("d").toString()), 0755)).isZero();
    assertThat(Files.isDirectory(upper.resolve("d"))).isTrue();
    assertThat(c.mkdir(Syscalls.c(mnt.resolve("d").toString()), 0755)).isEqualTo(-1);
    assertThat(Syscalls.errno()).isEqualTo(EEXIST);
    Files.writeString(mnt.resolve("d/f"), "x");
    assertThat(c.rmdir(Syscalls.c(mnt.resolve("d").toString()))).isEqualTo(-1);
    assertThat(Syscalls.errno()).isEqualTo(ENOTEMPTY);
    assertThat(c.unlink(Syscalls.c(mnt.resolve("d/f").toString()))).isZero();
    assertThat(c.rmdir(Syscalls.c(mnt.resolve("d").toString()))).isZero();
    assertThat(Files.exists(mnt.resolve("d"))).isFalse();

    // A lower name removed: a whiteout hides it, the lower keeps it.
    assertThat(c.unlink(Syscalls.c(mnt.resolve("sub/one").toString()))).isZero();
    assertThat(Files.exists(mnt.resolve("sub/one"))).isFalse();
    assertThat(Files.exists(lower.resolve("sub/one"))).isTrue();
    assertThat(c.unlink(Syscalls.c(mnt.resolve("sub/one").toString()))).isEqualTo(-1);
    assertThat(Syscalls.errno()).isEqualTo(ENOENT);
    // ... and made again, it is a new file.
    Files.writeString(mnt.resolve("sub/one"), "again\n");
    assertThat(Files.readString(mnt.resolve("sub/one"))).isEqualTo("again\n");

    assertThat(c.rmdir(Syscalls.c(mnt.resolve("sub/deeper").toString()))).isZero();
    assertThat(Files.exists(mnt.resolve("sub/deeper"))).isFalse();

    Files.move(mnt.resolve("hello"), mnt.resolve("sub/moved"));
    assertThat(Files.exists(mnt.resolve("hello"))).isFalse();
    assertThat(Files.readString(mnt.resolve("sub/moved"))).isEqualTo("from below\n");
    Files.move(mnt.resolve("sub"), mnt.resolve("renamed-dir"));
    assertThat(Files.readString(mnt.resolve("renamed-dir/moved"))).isEqualTo("from below\n");
    assertThat(Files.readString(mnt.resolve("renamed-dir/two"))).isEqualTo("2\n");
  }

  @Test
  void renameat2FlagsReachTheEngine() throws IOException {
    Syscalls.Calls c = Syscalls.libc();
    Files.writeString(mnt.resolve("a"), "A");
    Files.writeString(mnt.resolve("b"), "B");
    byte[] a = Syscalls.c(mnt.resolve("a").toString());
    byte[] b = Syscalls.c(mnt.resolve("b").toString());

    assertThat(c.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE)).isEqualTo(-1);
    assertThat(Syscalls.errno()).isEqualTo(EEXIST);
    assertThat(Files.readString(mnt.resolve("b"))).isEqualTo("B");

    assertThat(c.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)).isZero();
    assertThat(Files.readString(mnt.resolve("a"))).isEqualTo("B");
    assertThat(Files.readString(mnt.resolve("b"))).isEqualTo("A");
    assertThat(Files.readString(upper.resolve("a"))).isEqualTo("B");

    // Exchange with a lower file, and a plain NOREPLACE rename to a free name.
    assertThat(c.renameat2(AT_FDCWD, a, AT_FDCWD, Syscalls.c(mnt.resolve("hello").toString()), RENAME_EXCHANGE))
        .isZero();
    assertThat(Files.readString(mnt.resolve("hello"))).isEqualTo("B");
    assertThat(Files.readString(mnt.resolve("a"))).isEqualTo("from below\n");
    assertThat(c.renameat2(AT_FDCWD, a, AT_FDCWD, Syscalls.c(mnt.resolve("c").toString()), RENAME_NOREPLACE))
        .isZero();
    assertThat(Files.exists(mnt.resolve("a"))).isFalse();
    assertThat(Files.readString(mnt.resolve("c"))).isEqualTo("from below\n");

    assertThat(c.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)).isEqualTo(-1);
    assertThat(Syscalls.errno()).isEqualTo(ENOENT);
  }

  @Test
  void aRenameOverAFileLeavesNoStaleName() throws IOException {
    Files.writeString(mnt.resolve("x"), "old x\n");
    Files.writeString(mnt.resolve("y"), "new y\n");
    try (FileChannel old = FileChannel.open(mnt.resolve("x"))) {
      Files.move(mnt.resolve("y"), mnt.resolve("x"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      assertThat(Files.readString(mnt.resolve("x"))).isEqualTo("new y\n");
      // The replaced file is open: still its own bytes and size, and no link left.
      ByteBuffer buf = ByteBuffer.allocate(64);
      old.read(buf, 0);
      assertThat(new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8)).isEqualTo("old x\n");
      assertThat(old.size()).isEqualTo(6);
    }
  }

  @Test
  void aHardLinkIsOneInodeWhateverTheName() throws IOException {
    Path a = mnt.resolve("a");
    Path b = mnt.resolve("b");
    Files.writeString(a, "first\n");
    assertThat(nlink(a)).isEqualTo(1);
    Files.createLink(b, a); // ln a b
    assertThat(nlink(a)).isEqualTo(2); // at once, not when a's attributes time out
    assertThat(nlink(b)).isEqualTo(2);
    assertThat(ino(a)).isEqualTo(ino(b));

    Files.readString(a); // a's pages are cached now
    Files.writeString(b, "second, through b\n");
    assertThat(Files.readString(a)).isEqualTo("second, through b\n");
    try (FileChannel w = FileChannel.open(a, StandardOpenOption.WRITE)) {
      w.write(ByteBuffer.wrap("SECOND".getBytes(StandardCharsets.UTF_8)), 0);
    }
    assertThat(Files.readString(b)).isEqualTo("SECOND, through b\n");

    Files.delete(a);
    assertThat(nlink(b)).isEqualTo(1);
    assertThat(Files.readString(b)).isEqualTo("SECOND, through b\n");
  }

  @Test
  void aHardLinkOfALowerFileCopiesUpOnce() throws IOException {
    Path hello = mnt.resolve("hello");
    Path other = mnt.resolve("sub/hello-too");
    Files.createLink(other, hello);
    assertThat(nlink(hello)).isEqualTo(2);
    assertThat(ino(other)).isEqualTo(ino(hello));
    Files.writeString(other, "changed via the link\n");
    assertThat(Files.readString(hello)).isEqualTo("changed via the link\n");
    assertThat(Files.readString(lower.resolve("hello"))).isEqualTo("from below\n");
  }

  @Test
  void listingsCarryTheInodeNumbersStatReports() throws IOException {
    // Listed once (and kept by the kernel's listing cache), then changed: the change shows.
    assertThat(list(mnt.resolve("sub")).keySet()).containsExactlyInAnyOrder(".", "..", "deeper", "one", "two");
    Files.writeString(mnt.resolve("sub/three"), "3\n");
    Files.delete(mnt.resolve("sub/two"));
    Map<String, Long> listed = list(mnt.resolve("sub"));
    assertThat(listed.keySet()).containsExactlyInAnyOrder(".", "..", "deeper", "one", "three");
    for (String name : List.of("deeper", "one", "three")) {
      assertThat(listed.get(name)).as(name).isEqualTo(ino(mnt.resolve("sub").resolve(name)));
    }
    assertThat(listed.get(".")).isEqualTo(ino(mnt.resolve("sub")));
    assertThat(listed.get("..")).isEqualTo(ino(mnt));

    // A directory too big for one reply: every name once.
    Path big = Files.createDirectories(mnt.resolve("big"));
    for (int i = 0; i < 600; i++) {
      Files.writeString(big.resolve("file-with-a-longish-name-" + i), "");
    }
    Map<String, Long> all = list(big);
    assertThat(all).hasSize(602);
    assertThat(all.get("file-with-a-longish-name-599")).isEqualTo(ino(big.resolve("file-with-a-longish-name-599")));
    try (var s = Files.list(big)) {
      assertThat(s.count()).isEqualTo(600);
    }
  }

  @Test
  void extendedAttributes() throws IOException {
    Path f = mnt.resolve("hello");
    UserDefinedFileAttributeView view = Files.getFileAttributeView(f, UserDefinedFileAttributeView.class);
    assertThat(view.list()).isEmpty();
    view.write("color", ByteBuffer.wrap("blue".getBytes(StandardCharsets.UTF_8)));
    view.write("big", ByteBuffer.wrap(new byte[3000]));
    assertThat(view.list()).containsExactlyInAnyOrder("color", "big");
    assertThat(view.size("big")).isEqualTo(3000);
    ByteBuffer v = ByteBuffer.allocate(16);
    view.read("color", v);
    assertThat(new String(v.array(), 0, v.position(), StandardCharsets.UTF_8)).isEqualTo("blue");
    view.delete("color");
    assertThat(view.list()).containsExactly("big");
    // Copied up with it; the lower has none.
    assertThat(Files.getFileAttributeView(lower.resolve("hello"), UserDefinedFileAttributeView.class).list()).isEmpty();
  }

  @Test
  void largeFilesSequentialAndSparse() throws Exception {
    Path f = mnt.resolve("large");
    byte[] chunk = new byte[1 << 20];
    new Random(42).nextBytes(chunk);
    MessageDigest written = MessageDigest.getInstance("SHA-256");
    int mib = 64;
    try (FileChannel w = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (int i = 0; i < mib; i++) {
        chunk[0] = (byte) i;
        written.update(chunk);
        ByteBuffer b = ByteBuffer.wrap(chunk);
        while (b.hasRemaining()) {
          w.write(b);
        }
      }
    }
    assertThat(Files.size(f)).isEqualTo((long) mib << 20);
    assertThat(Files.size(upper.resolve("large"))).isEqualTo((long) mib << 20);
    MessageDigest read = MessageDigest.getInstance("SHA-256");
    try (FileChannel r = FileChannel.open(f)) {
      ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
      while (r.read(b) > 0) {
        b.flip();
        read.update(b);
        b.clear();
      }
    }
    assertThat(read.digest()).isEqualTo(written.digest());

    // A write 1 GiB out leaves a hole that reads as zeros and costs no space.
    Path sparse = mnt.resolve("sparse");
    long far = 1L << 30;
    try (FileChannel w = FileChannel.open(sparse, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      w.write(ByteBuffer.wrap("end".getBytes(StandardCharsets.UTF_8)), far);
    }
    assertThat(Files.size(sparse)).isEqualTo(far + 3);
    assertThat((Long) Files.getAttribute(upper.resolve("sparse"), "unix:size")).isEqualTo(far + 3);
    try (FileChannel r = FileChannel.open(sparse)) {
      ByteBuffer hole = ByteBuffer.allocate(4096);
      r.read(hole, far / 2);
      assertThat(hole.array()).containsOnly(0);
      ByteBuffer end = ByteBuffer.allocate(3);
      r.read(end, far);
      assertThat(new String(end.array(), StandardCharsets.UTF_8)).isEqualTo("end");
    }
  }

  @Test
  void anUnlinkedOpenFileStaysUsable() throws IOException {
    Path f = mnt.resolve("doomed");
    Files.writeString(f, "still here\n");
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      Files.delete(f);
      assertThat(Files.exists(f)).isFalse();
      assertThat(Files.exists(upper.resolve("doomed"))).isFalse();
      // A new file at the old name is another file.
      Files.writeString(f, "the new one, longer\n");
      ByteBuffer b = ByteBuffer.allocate(64);
      ch.read(b, 0);
      assertThat(new String(b.array(), 0, b.position(), StandardCharsets.UTF_8)).isEqualTo("still here\n");
      ch.write(ByteBuffer.wrap("and more\n".getBytes(StandardCharsets.UTF_8)), 11);
      assertThat(ch.size()).isEqualTo(20); // fstat of the unlinked file
      b.clear();
      ch.read(b, 0);
      assertThat(new String(b.array(), 0, b.position(), StandardCharsets.UTF_8)).isEqualTo("still here\nand more\n");
    }
    assertThat(Files.readString(f)).isEqualTo("the new one, longer\n");
  }

  @Test
  void forgottenNodesAreGivenBack() throws Exception {
    Path many = Files.createDirectories(mnt.resolve("many"));
    for (int i = 0; i < 200; i++) {
      Files.writeString(many.resolve("f" + i), "x");
    }
    for (int i = 0; i < 200; i++) {
      Files.getAttribute(many.resolve("f" + i), "unix:ino");
    }
    assertThat(mount.kernelNodes()).isGreaterThan(200);
    // Make the kernel evict unused dentries and inodes: it sends FORGET for each.
    Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "2");
    long deadline = System.currentTimeMillis() + 10_000;
    while (mount.kernelNodes() >= 50 && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertThat(mount.kernelNodes()).isLessThan(50);
    // And everything is still there, looked up afresh.
    assertThat(Files.readString(many.resolve("f199"))).isEqualTo("x");
    assertThat(Files.readString(mnt.resolve("hello"))).isEqualTo("from below\n");
  }

  @Test
  void anUnmountFromOutsideEndsTheServer() throws Exception {
    assertThat(Files.readString(mnt.resolve("hello"))).isEqualTo("from below\n");
    Process p = new ProcessBuilder("umount", mnt.toString()).redirectErrorStream(true).start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
    assertThat(mount.awaitUnmount(10, TimeUnit.SECONDS)).isTrue();
    assertThat(mount.ended()).isTrue();
    assertThat(Mounts.at(mnt)).isEmpty();
  }

  private static long nlink(Path p) throws IOException {
    return ((Number) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS)).longValue();
  }

  private static long ino(Path p) throws IOException {
    return (Long) Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS);
  }

  /** readdir(3) of a directory: name to d_ino, from struct dirent64. */
  private static Map<String, Long> list(Path d) {
    Syscalls.Calls c = Syscalls.libc();
    Pointer dir = c.opendir(Syscalls.c(d.toString()));
    assertThat(dir).as("opendir " + d).isNotNull();
    Map<String, Long> out = new HashMap<>();
    try {
      for (Pointer e = c.readdir64(dir); e != null; e = c.readdir64(dir)) {
        // d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name
        String name = e.getString(19, 256, StandardCharsets.UTF_8);
        assertThat(out.put(name, e.getLong(0))).as("listed twice: " + name).isNull();
      }
    } finally {
      c.closedir(dir);
    }
    return out;
  }
}
