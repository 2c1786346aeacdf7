package dev.strata.fuse;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.HostDir;
import dev.strata.union.Attr;
import dev.strata.union.Ctx;
import dev.strata.union.DirEntry;
import dev.strata.union.FileType;
import dev.strata.union.HostDirLayer;
import dev.strata.union.LowerLayer;
import dev.strata.union.SetAttr;
import dev.strata.union.UnionFs;
import dev.strata.union.UnionOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The overlay semantics of the engine, one test per rule, each through the {@link UnionFs} API
 * and, where the rule leaves a trace, in the upper directory's on-disk format (the kernel's:
 * char 0/0 whiteouts, {@code trusted.overlay.*} xattrs). Where the engine and Linux overlayfs
 * could disagree, the expectation is what kernel 6.18 does with
 * {@code redirect_dir=on,metacopy=on}, and {@code index=on} for lower hard links (as
 * {@link KernelDifferentialTest} mounts it); a few tests mount the engine's upper with the kernel
 * ({@code index=off}) to prove the format. Runs as root on Linux with /tmp on ext4.
 */
class UnionSemanticsTest {
  private static final TestHost HOST = TestHost.ofProcess();
  private static final int O_RDONLY = 0;
  private static final int O_RDWR = 2;
  private static final int O_TRUNC = 01000;
  private static final int S_IFMT = 0170000;
  private static final String OVERLAY = "trusted.overlay.";
  private static final long MIB = 1 << 20;

  @TempDir Path dir;
  private Layer l1;
  private Layer l2;
  private Layer l3;
  private Path upper;
  private Path work;
  private UnionFs fs;
  private final List<Path> mounts = new ArrayList<>();

  @BeforeEach
  void layers() throws IOException {
    l1 = new Layer(Files.createDirectory(dir.resolve("l1")));
    l2 = new Layer(Files.createDirectory(dir.resolve("l2")));
    l3 = new Layer(Files.createDirectory(dir.resolve("l3")));
    upper = Files.createDirectory(dir.resolve("upper"));
    work = Files.createDirectory(dir.resolve("work"));
  }

  @AfterEach
  void close() throws Exception {
    if (fs != null) {
      fs.close();
    }
    for (int i = mounts.size() - 1; i >= 0; i--) {
      run("umount", mounts.get(i).toString());
    }
  }

  @Nested
  class LookupThroughLayers {
    @Test
    void whiteoutHidesTheLowerFile() throws IOException {
      l1.whiteout("a");
      l2.file("a", "a from l2\n");
      union();

      assertErrno(Errno.ENOENT, () -> fs.lookup(UnionFs.ROOT, "a"));
      assertThat(names(UnionFs.ROOT)).doesNotContain("a");
    }

    @Test
    void whiteoutOfADirectoryHidesItsWholeTree() throws IOException {
      l1.whiteout("d");
      l2.file("d/e/f", "deep\n");
      l3.file("d/g", "g\n");
      union();

      assertErrno(Errno.ENOENT, () -> fs.lookup(UnionFs.ROOT, "d"));
      assertThat(names(UnionFs.ROOT)).doesNotContain("d");
    }

    @Test
    void opaqueDirectoryStopsTheDescent() throws IOException {
      l1.opaque("d").file("d/top", "top\n");
      l2.file("d/middle", "middle\n");
      l3.file("d/bottom", "bottom\n");
      union();

      long d = node("d");
      assertThat(names(d)).containsExactly("top");
      assertErrno(Errno.ENOENT, () -> fs.lookup(d, "middle"));
      assertErrno(Errno.ENOENT, () -> fs.lookup(d, "bottom"));
    }

    @Test
    void fileInAnUpperLayerHidesALowerDirectory() throws IOException {
      l1.file("n", "n is a file in l1\n");
      l2.file("n/child", "child\n");
      union();

      long n = node("n");
      assertThat(fs.getattr(n).type()).isEqualTo(FileType.REGULAR);
      assertThat(read(n)).isEqualTo("n is a file in l1\n");
      assertErrno(Errno.ENOTDIR, () -> fs.lookup(n, "child"));
      assertThat(entries(UnionFs.ROOT)).filteredOn(e -> e.name().equals("n"))
          .singleElement().extracting(DirEntry::type).isEqualTo(FileType.REGULAR);
    }

    @Test
    void directoryMergesAcrossLayersThatLackIt() throws IOException {
      l1.file("m/one", "1\n");
      l2.file("other", "l2 has no m\n");
      l3.file("m/three", "3\n");
      union();

      long m = node("m");
      assertThat(names(m)).containsExactly("one", "three");
      assertThat(read(node("m/three"))).isEqualTo("3\n");
    }
  }

  @Nested
  class Readdir {
    @Test
    void eachNameOnceUpperWins() throws IOException {
      l1.file("d/a", "a from l1\n");
      l2.file("d/a", "a from l2\n").file("d/b", "b from l2\n");
      l3.file("d/a", "a from l3\n").file("d/b", "b from l3\n").file("d/c", "c from l3\n");
      union();
      write(node("d/b"), 0, "B");

      long d = node("d");
      assertThat(names(d)).containsExactly("a", "b", "c");
      assertThat(read(node("d/a"))).isEqualTo("a from l1\n");
      assertThat(read(node("d/b"))).isEqualTo("B from l2\n");
      assertThat(upper.resolve("d/b")).hasContent("B from l2");
    }

    @Test
    void whiteoutsAndWhatTheyHideAreNeverListed() throws IOException {
      l1.whiteout("d/gone-in-l1");
      l2.file("d/gone-in-l1", "hidden\n").file("d/kept", "kept\n");
      l3.file("d/unlinked", "unlinked\n");
      union();
      fs.unlink(node("d"), "unlinked");

      assertThat(names(node("d"))).containsExactly("kept");
      assertThat(isWhiteout(upper.resolve("d/unlinked"))).isTrue();
    }

    @Test
    void dotAndDotDotFirst() throws IOException {
      l1.file("d/sub/f", "f\n");
      l2.file("d/sub/g", "g\n");
      union();
      long d = node("d");
      long sub = node("d/sub");

      List<DirEntry> entries = entries(sub);
      assertThat(entries).extracting(DirEntry::name).startsWith(".", "..");
      assertThat(entries.get(0).ino()).isEqualTo(fs.getattr(sub).ino());
      assertThat(entries.get(1).ino()).isEqualTo(fs.getattr(d).ino());
      assertThat(entries.get(0).type()).isEqualTo(FileType.DIRECTORY);
      assertThat(entries.get(1).type()).isEqualTo(FileType.DIRECTORY);
    }

    @Test
    void offsetsAreStableAcrossCalls() throws IOException {
      for (int i = 0; i < 40; i++) {
        (i % 3 == 0 ? l1 : i % 3 == 1 ? l2 : l3).file("d/f" + i, "f" + i + "\n");
      }
      l1.whiteout("d/f4");
      union();
      long d = node("d");

      long h = fs.opendir(d);
      try {
        List<DirEntry> all = List.copyOf(fs.readdir(h, 0));
        assertThat(all).hasSize(2 + 39);
        for (int k = 0; k < all.size(); k++) {
          assertThat(fs.readdir(h, all.get(k).offset())).as("continuing after %s", all.get(k).name())
              .containsExactlyElementsOf(all.subList(k + 1, all.size()));
        }
        // Another open of the unchanged directory hands out the same offsets.
        assertThat(entries(d)).containsExactlyElementsOf(all);
      } finally {
        fs.releasedir(h);
      }
    }

    @Test
    void dInoEqualsStIno() throws IOException {
      l1.file("d/top", "top\n").symlink("d/link", "/etc/passwd");
      l2.file("d/mid", "mid\n").file("d/sub/x", "x\n");
      l3.file("d/sub/y", "y\n").file("d/low", "low\n");
      union();
      long d = node("d");
      write(node("d/mid"), 0, "copied up");
      fs.mkdir(d, "made", 0755, Ctx.ROOT);

      for (DirEntry e : entries(d)) {
        long n = e.name().equals(".") ? d : e.name().equals("..") ? UnionFs.ROOT : fs.lookup(d, e.name());
        assertThat(e.ino()).as("d_ino of %s", e.name()).isEqualTo(fs.getattr(n).ino());
      }
    }
  }

  @Nested
  class CopyUp {
    @Test
    void writeCopiesUpDataThenMetadata() throws IOException {
      byte[] capability = vfsCapNetRaw();
      Path lower = l1.file("tool", "#!/bin/sh\necho tool\n").path("tool");
      HOST.lchown(lower, 1000, 1000);
      HOST.chmod(lower, 04755);
      HOST.setxattr(lower, "user.origin", "l1".getBytes(UTF_8));
      HOST.setxattr(lower, "security.capability", capability);
      HOST.utimens(lower, 1_111_111_111_222_333_444L, 1_234_567_890_123_456_789L);
      union();
      long tool = node("tool");

      long fh = fs.open(tool, O_RDWR);
      try {
        // Opening for write made the copy: the upper file has the data and every piece of metadata.
        Path copy = upper.resolve("tool");
        assertThat(copy).hasContent("#!/bin/sh\necho tool");
        Map<String, Object> st = Files.readAttributes(copy, "unix:*", NOFOLLOW_LINKS);
        assertThat((Integer) st.get("mode") & 07777).as("mode, setuid kept").isEqualTo(04755);
        assertThat(st.get("uid")).isEqualTo(1000);
        assertThat(st.get("gid")).isEqualTo(1000);
        assertThat(nanos(st.get("lastModifiedTime"))).isEqualTo(1_234_567_890_123_456_789L);
        assertThat(HOST.getxattr(copy, "user.origin")).isEqualTo("l1".getBytes(UTF_8));
        assertThat(HOST.getxattr(copy, "security.capability")).as("security.capability").isEqualTo(capability);
        assertThat(fs.getxattr(tool, "security.capability")).isEqualTo(capability);

        fs.write(fh, 10, ByteBuffer.wrap("ECHO".getBytes(UTF_8)));
      } finally {
        fs.release(fh);
      }
      assertThat(read(tool)).isEqualTo("#!/bin/sh\nECHO tool\n");
      assertThat(read(lower)).isEqualTo("#!/bin/sh\necho tool\n");
      Attr a = fs.getattr(tool);
      assertThat(a.mode() & 07777).isEqualTo(04755);
      assertThat(a.uid()).isEqualTo(1000);
    }

    @Test
    void parentsAreCopiedUpFirst() throws IOException {
      l1.file("p/q/r/file", "deep\n");
      HOST.lchown(l1.path("p"), 1000, 1001);
      HOST.chmod(l1.path("p"), 0750);
      HOST.lchown(l1.path("p/q"), 1002, 1003);
      HOST.chmod(l1.path("p/q"), 0711);
      HOST.chmod(l1.path("p/q/r"), 0700);
      union();

      write(node("p/q/r/file"), 0, "DEEP");

      assertThat(upper.resolve("p/q/r/file")).hasContent("DEEP");
      for (String d : List.of("p", "p/q", "p/q/r")) {
        Map<String, Object> up = Files.readAttributes(upper.resolve(d), "unix:*", NOFOLLOW_LINKS);
        Map<String, Object> low = Files.readAttributes(l1.path(d), "unix:*", NOFOLLOW_LINKS);
        assertThat(Files.isDirectory(upper.resolve(d), NOFOLLOW_LINKS)).as(d).isTrue();
        assertThat(up.get("mode")).as("mode of %s", d).isEqualTo(low.get("mode"));
        assertThat(up.get("uid")).as("owner of %s", d).isEqualTo(low.get("uid"));
        assertThat(up.get("gid")).as("group of %s", d).isEqualTo(low.get("gid"));
      }
    }

    @Test
    void copyUpLeavesTheAncestorsTimesAsTheLowersHaveThem() throws IOException {
      l1.file("p/q/r/file", "deep\n");
      long old = 978_307_200_123_456_789L;
      for (String d : List.of("p/q/r", "p/q", "p")) {
        HOST.utimens(l1.path(d), old, old);
      }
      union();

      write(node("p/q/r/file"), 0, "DEEP");

      // The kernel restores each parent's times after it links a copy into it: copy-up is no
      // change of the union's directories.
      for (String d : List.of("p", "p/q", "p/q/r")) {
        assertThat(mtime(upper.resolve(d))).as("upper mtime of %s", d).isEqualTo(old);
        assertThat(fs.getattr(node(d)).mtimeNanos()).as("union mtime of %s", d).isEqualTo(old);
      }
    }

    @Test
    void chmodOfABigLowerFileCopiesNoData() throws IOException {
      Path lower = l1.sparse("big", 64 * MIB, MIB, "data block");
      union();
      long big = node("big");

      fs.setattr(big, SetAttr.mode(0600));

      Path copy = upper.resolve("big");
      assertThat(HOST.getxattr(copy, OVERLAY + "metacopy")).as("metacopy mark").isNotNull();
      assertThat(Files.size(copy)).isEqualTo(64 * MIB);
      assertThat(allocatedBlocks(copy)).as("512-byte blocks of the metacopy upper").isLessThan(64);
      assertThat(fs.getattr(big).mode() & 07777).isEqualTo(0600);
      assertThat(fs.getattr(big).size()).isEqualTo(64 * MIB);
      assertThat(readAt(big, MIB, 10)).isEqualTo("data block");

      write(big, 0, "Z");

      assertThat(HOST.getxattr(copy, OVERLAY + "metacopy")).as("metacopy mark after a write").isNull();
      assertThat(readAt(copy, MIB, 10)).as("the upper now holds the data").isEqualTo("data block");
      assertThat(readAt(big, 0, 1)).isEqualTo("Z");
      assertThat(readAt(big, MIB, 10)).isEqualTo("data block");
      assertThat(fs.getattr(big).mode() & 07777).isEqualTo(0600);
      assertThat(readAt(lower, 0, 1)).isEqualTo("\0");
    }

    @Test
    void capabilitySurvivesTheDataCopyUpOfAMetacopyFile() throws IOException {
      byte[] capability = vfsCapNetRaw();
      Path lower = l1.file("ping", "ping binary\n").path("ping");
      HOST.setxattr(lower, "security.capability", capability);
      union();
      long ping = node("ping");
      fs.setattr(ping, SetAttr.mode(0750));
      assertThat(HOST.getxattr(upper.resolve("ping"), OVERLAY + "metacopy")).isNotNull();

      long fh = fs.open(ping, O_RDWR); // the data comes up now; nothing is written yet
      fs.release(fh);

      assertThat(HOST.getxattr(upper.resolve("ping"), OVERLAY + "metacopy")).isNull();
      assertThat(HOST.getxattr(upper.resolve("ping"), "security.capability")).isEqualTo(capability);
      assertThat(upper.resolve("ping")).hasContent("ping binary");
    }

    @Test
    void racingOpensCopyUpOnce() throws Exception {
      byte[] content = new byte[8 * (int) MIB];
      new Random(7).nextBytes(content);
      Files.write(l1.path("shared"), content);
      union();
      long shared = node("shared");

      int threads = 16;
      CountDownLatch start = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Long> handles = new ArrayList<>();
      try {
        List<Future<Long>> opens = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
          opens.add(pool.submit(() -> {
            start.await();
            return fs.open(shared, O_RDWR);
          }));
        }
        start.countDown();
        for (Future<Long> f : opens) {
          handles.add(f.get(30, TimeUnit.SECONDS));
        }
      } finally {
        pool.shutdownNow();
      }

      assertThat(handles).doesNotHaveDuplicates().hasSize(threads);
      fs.write(handles.get(0), 0, ByteBuffer.wrap("first".getBytes(UTF_8)));
      ByteBuffer seen = ByteBuffer.allocate(5);
      fs.read(handles.get(threads - 1), 0, seen);
      assertThat(new String(seen.array(), UTF_8)).as("every handle is on the one copy").isEqualTo("first");
      for (long h : handles) {
        fs.release(h);
      }
      byte[] expected = content.clone();
      System.arraycopy("first".getBytes(UTF_8), 0, expected, 0, 5);
      assertThat(Files.readAllBytes(upper.resolve("shared"))).isEqualTo(expected);
      try (Stream<Path> left = Files.list(work.resolve("work"))) {
        assertThat(left).as("staged copies left in the work directory").isEmpty();
      }
    }

    @Test
    void inodeNumberUnchangedByCopyUp() throws IOException {
      l1.file("d/f", "f\n");
      l2.file("d/g", "g\n");
      union();
      long f = node("d/f");
      long d = node("d");
      long fileIno = fs.getattr(f).ino();
      long dirIno = fs.getattr(d).ino();

      write(f, 0, "F");

      assertThat(fs.getattr(f).ino()).isEqualTo(fileIno);
      assertThat(fs.getattr(d).ino()).isEqualTo(dirIno);
      assertThat(entries(d)).filteredOn(e -> e.name().equals("f")).singleElement()
          .extracting(DirEntry::ino).isEqualTo(fileIno);
      fs.forget(f, 1_000);
      assertThat(fs.getattr(fs.lookup(d, "f")).ino()).as("after the node was forgotten").isEqualTo(fileIno);
    }

    @Test
    void readOnlyHandleSeesCopiedUpData() throws IOException {
      l1.file("f", "old content\n");
      union();
      long f = node("f");

      long reader = fs.open(f, O_RDONLY);
      try {
        assertThat(upper.resolve("f")).doesNotExist();
        write(f, 0, "NEW");
        ByteBuffer buf = ByteBuffer.allocate(64);
        int n = fs.read(reader, 0, buf);
        assertThat(new String(buf.array(), 0, n, UTF_8)).isEqualTo("NEW content\n");
      } finally {
        fs.release(reader);
      }
    }

    @Test
    void openReadOnlyWithTruncEmptiesTheFile() throws IOException {
      l1.file("f", "content\n");
      union();
      long f = node("f");

      long fh = fs.open(f, O_RDONLY | O_TRUNC);
      fs.release(fh);

      // Linux truncates on O_TRUNC whatever the access mode (build_open_flags asks MAY_WRITE).
      assertThat(fs.getattr(f).size()).isZero();
      assertThat(upper.resolve("f")).isEmptyFile();
    }
  }

  @Nested
  class DirectoryOps {
    @Test
    void unlinkOfALowerFileLeavesACharDeviceWhiteout() throws IOException {
      l1.file("d/a", "a\n");
      union();
      long d = node("d");

      fs.unlink(d, "a");

      assertErrno(Errno.ENOENT, () -> fs.lookup(d, "a"));
      Path w = upper.resolve("d/a");
      assertThat(isWhiteout(w)).as("char 0/0 at %s", w).isTrue();
      assertThat(l1.path("d/a")).hasContent("a");
    }

    @Test
    void whiteoutsAreNamesOfOneInodeAsTheKernelMakesThemAndCommitAsWhiteouts() throws Exception {
      l1.file("d/a", "a\n");
      l1.file("d/b", "b\n");
      l1.file("c", "c\n");
      // The kernel's overlay, over an upper of its own, shares one whiteout inode (Linux 5.8).
      Path kernelUpper = Files.createDirectory(dir.resolve("kernel-upper"));
      Path kernelWork = Files.createDirectory(dir.resolve("kernel-work"));
      Path mnt = Files.createDirectory(dir.resolve("kernel-mount"));
      run("mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + l1.root + ",upperdir=" + kernelUpper
          + ",workdir=" + kernelWork, mnt.toString());
      try {
        for (String rel : List.of("d/a", "d/b", "c")) {
          Files.delete(mnt.resolve(rel));
        }
      } finally {
        run("umount", mnt.toString());
      }
      assertThat(inodes(kernelUpper, "d/a", "d/b", "c")).as("the kernel's whiteouts").hasSize(1);

      union();
      fs.unlink(node("d"), "a");
      fs.unlink(node("d"), "b");
      fs.unlink(UnionFs.ROOT, "c");

      for (String rel : List.of("d/a", "d/b", "c")) {
        assertThat(isWhiteout(upper.resolve(rel))).as("char 0/0 at %s", rel).isTrue();
      }
      assertThat(inodes(upper, "d/a", "d/b", "c")).as("the engine's whiteouts").hasSize(1);
      // A commit knows whiteouts by their type: three deletions, no hard link among them.
      java.io.ByteArrayOutputStream layer = new java.io.ByteArrayOutputStream();
      dev.strata.union.Changeset.write(fs, layer);
      List<String> entries = new ArrayList<>();
      try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
          new java.io.ByteArrayInputStream(layer.toByteArray()))) {
        for (var e = tar.getNextTarEntry(); e != null; e = tar.getNextTarEntry()) {
          entries.add(e.getName() + (e.isLink() ? " -> " + e.getLinkName() : "") + (e.isFile() ? " " + e.getSize() : ""));
        }
      }
      assertThat(entries).contains("d/.wh.a 0", "d/.wh.b 0", ".wh.c 0").noneMatch(e -> e.contains(" -> "));
      fs.close();
      fs = null;
      try (Stream<Path> left = Files.list(work.resolve("work"))) {
        assertThat(left).as("the shared whiteout's name goes with the union").isEmpty();
      }
      assertThat(kernelList(upper, "d")).as("the kernel over the engine's upper").isEmpty();
      assertThat(kernelList(upper, "")).as("the kernel over the engine's upper").doesNotContain("c");
    }

    private Set<Object> inodes(Path root, String... rels) throws IOException {
      Set<Object> inodes = new HashSet<>();
      for (String rel : rels) {
        inodes.add(Files.readAttributes(root.resolve(rel), "unix:ino", NOFOLLOW_LINKS).get("ino"));
      }
      return inodes;
    }

    @Test
    void rmdirOfADirectoryThatStillShowsAnEntryFailsENOTEMPTY() throws IOException {
      l1.file("d/a", "a\n");
      l2.file("d/b", "b\n");
      union();
      fs.unlink(node("d"), "a");

      assertErrno(Errno.ENOTEMPTY, () -> fs.rmdir(UnionFs.ROOT, "d"));
      assertThat(names(node("d"))).containsExactly("b");
    }

    @Test
    void rmdirOfAMergedDirectoryWhoseEntriesAreAllWhitedOutSucceeds() throws IOException {
      l1.file("d/a", "a\n");
      l2.file("d/b", "b\n").whiteout("d/c");
      l3.file("d/c", "c\n");
      union();
      long d = node("d");
      fs.unlink(d, "a");
      fs.unlink(d, "b");

      fs.rmdir(UnionFs.ROOT, "d");

      assertErrno(Errno.ENOENT, () -> fs.lookup(UnionFs.ROOT, "d"));
      assertThat(isWhiteout(upper.resolve("d"))).isTrue();
    }

    @Test
    void aRemovedFileLivesOnUntilItsNodeIsForgottenOrTheUnionCloses() throws IOException {
      union();
      long[] f = fs.create(UnionFs.ROOT, "f", 0644, O_RDWR, Ctx.ROOT);
      long[] g = fs.create(UnionFs.ROOT, "g", 0644, O_RDWR, Ctx.ROOT);
      fs.release(f[1]);
      fs.release(g[1]);
      fs.unlink(UnionFs.ROOT, "f");
      fs.unlink(UnionFs.ROOT, "g");

      assertThat(fs.getattr(f[0]).nlink()).isZero();
      assertThat(descriptorsOf(upper.resolve("f"))).as("f's file, nameless").isEqualTo(1);
      fs.forget(f[0], 1);
      assertThat(descriptorsOf(upper.resolve("f"))).as("f's file after the forget").isZero();
      assertThat(descriptorsOf(upper.resolve("g"))).as("g's file, never forgotten").isEqualTo(1);
      fs.close();
      fs = null;
      assertThat(descriptorsOf(upper.resolve("g"))).as("g's file after the union closed").isZero();
    }

    /** How many of this process's descriptors hold the removed file that was {@code path}. */
    private long descriptorsOf(Path path) throws IOException {
      String removed = path + " (deleted)";
      long n = 0;
      try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
        for (Path fd : fds.toList()) {
          try {
            n += Files.readSymbolicLink(fd).toString().equals(removed) ? 1 : 0;
          } catch (java.nio.file.NoSuchFileException e) {
            // closed meanwhile (the listing's own descriptor among them)
          }
        }
      }
      return n;
    }

    @Test
    void mkdirOverAWhiteoutMakesAnOpaqueDirectory() throws IOException {
      l1.file("d/x", "x\n");
      union();
      fs.unlink(node("d"), "x");
      fs.rmdir(UnionFs.ROOT, "d");
      assertThat(isWhiteout(upper.resolve("d"))).isTrue();

      long d = fs.mkdir(UnionFs.ROOT, "d", 0755, Ctx.ROOT);

      assertThat(names(d)).isEmpty();
      assertThat(HOST.getxattr(upper.resolve("d"), OVERLAY + "opaque")).isEqualTo(new byte[] {'y'});
      fs.close();
      fs = null;
      assertThat(kernelList(upper, "d")).as("the kernel over the engine's upper").isEmpty();
    }

    @Test
    void renameOfALowerDirectoryRecordsARedirect() throws IOException {
      l1.file("src/c1", "c1\n");
      l2.file("src/sub/c2", "c2\n");
      union();

      fs.rename(UnionFs.ROOT, "src", UnionFs.ROOT, "dst", 0);

      assertErrno(Errno.ENOENT, () -> fs.lookup(UnionFs.ROOT, "src"));
      assertThat(names(node("dst"))).containsExactly("c1", "sub");
      assertThat(read(node("dst/sub/c2"))).isEqualTo("c2\n");
      assertThat(isWhiteout(upper.resolve("src"))).isTrue();
      // The kernel writes "src" (a sibling) for a rename within a directory, "/src" across.
      assertThat(new String(HOST.getxattr(upper.resolve("dst"), OVERLAY + "redirect"), UTF_8)).isIn("src", "/src");

      reopen();
      assertThat(names(node("dst"))).as("after a remount").containsExactly("c1", "sub");
      fs.close();
      fs = null;
      assertThat(kernelList(upper, "dst")).as("the kernel over the engine's upper").containsExactly("c1", "sub");
    }

    @Test
    void renameOfALowerDirectoryIntoANewDirectoryKeepsItsEntriesAcrossARemount() throws IOException {
      l1.file("src/c1", "c1\n");
      l2.file("src/c2", "c2\n");
      union();
      long nd = fs.mkdir(UnionFs.ROOT, "new", 0755, Ctx.ROOT);
      fs.rename(UnionFs.ROOT, "src", nd, "moved", 0);
      assertThat(names(node("new/moved"))).containsExactly("c1", "c2");
      assertThat(new String(HOST.getxattr(upper.resolve("new/moved"), OVERLAY + "redirect"), UTF_8)).isEqualTo("/src");

      reopen();

      // An absolute redirect is looked up from the root of every lower layer, whatever the
      // new parent holds below.
      assertThat(names(node("new/moved"))).containsExactly("c1", "c2");
      assertThat(read(node("new/moved/c2"))).isEqualTo("c2\n");
    }

    @Test
    void renameNoReplaceFailsEEXIST() throws IOException {
      l1.file("a", "a\n");
      l2.file("b", "b\n");
      union();

      assertErrno(Errno.EEXIST, () -> fs.rename(UnionFs.ROOT, "a", UnionFs.ROOT, "b", HostDir.RENAME_NOREPLACE));

      assertThat(read(node("a"))).isEqualTo("a\n");
      assertThat(read(node("b"))).isEqualTo("b\n");
      fs.rename(UnionFs.ROOT, "a", UnionFs.ROOT, "c", HostDir.RENAME_NOREPLACE);
      assertThat(read(node("c"))).isEqualTo("a\n");
    }

    @Test
    void renameExchangeSwapsAFileAndADirectory() throws IOException {
      l1.file("f", "file\n");
      l2.file("d/child", "child\n");
      union();

      fs.rename(UnionFs.ROOT, "f", UnionFs.ROOT, "d", HostDir.RENAME_EXCHANGE);

      assertThat(fs.getattr(node("f")).type()).isEqualTo(FileType.DIRECTORY);
      assertThat(names(node("f"))).containsExactly("child");
      assertThat(read(node("f/child"))).isEqualTo("child\n");
      assertThat(fs.getattr(node("d")).type()).isEqualTo(FileType.REGULAR);
      assertThat(read(node("d"))).isEqualTo("file\n");
      assertThat(HOST.getxattr(upper.resolve("f"), OVERLAY + "redirect")).isNotNull();
      fs.close();
      fs = null;
      assertThat(kernelList(upper, "f")).as("the kernel over the engine's upper").containsExactly("child");
    }

    @Test
    void renameWhiteoutIsEINVALAsInOverlayfs() throws IOException {
      l1.file("a", "a\n");
      union();
      long created = fs.create(UnionFs.ROOT, "u", 0644, O_RDWR, Ctx.ROOT)[1];
      fs.release(created);

      // ovl_rename accepts RENAME_EXCHANGE and RENAME_NOREPLACE only.
      assertErrno(Errno.EINVAL, () -> fs.rename(UnionFs.ROOT, "a", UnionFs.ROOT, "b", HostDir.RENAME_WHITEOUT));
      assertErrno(Errno.EINVAL, () -> fs.rename(UnionFs.ROOT, "u", UnionFs.ROOT, "v", HostDir.RENAME_WHITEOUT));

      assertThat(names(UnionFs.ROOT)).containsExactly("a", "u");
      assertThat(upper.resolve("a")).doesNotExist();
    }

    @Test
    void renameIntoItselfFailsEINVAL() throws IOException {
      l1.file("d/sub/f", "f\n");
      union();
      long sub = node("d/sub");

      assertErrno(Errno.EINVAL, () -> fs.rename(UnionFs.ROOT, "d", sub, "d", 0));
      assertErrno(Errno.EINVAL, () -> fs.rename(UnionFs.ROOT, "d", node("d"), "again", 0));

      assertThat(names(UnionFs.ROOT)).containsExactly("d");
      assertThat(names(sub)).containsExactly("f");
    }

    @Test
    void symlinkTargetIsNeverResolved() throws IOException {
      l1.symlink("lower-link", "/etc/shadow-of-nothing");
      union();

      long link = fs.symlink(UnionFs.ROOT, "passwd", "/etc/passwd", Ctx.ROOT);

      assertThat(fs.readlink(link)).isEqualTo("/etc/passwd");
      Attr a = fs.getattr(link);
      assertThat(a.type()).isEqualTo(FileType.SYMLINK);
      assertThat(a.size()).isEqualTo("/etc/passwd".length());
      assertThat(Files.readSymbolicLink(upper.resolve("passwd"))).isEqualTo(Path.of("/etc/passwd"));
      long lower = node("lower-link");
      assertThat(fs.getattr(lower).type()).isEqualTo(FileType.SYMLINK);
      assertThat(fs.readlink(lower)).isEqualTo("/etc/shadow-of-nothing");
      assertErrno(Errno.EINVAL, () -> fs.open(link, O_RDONLY));
    }

    @Test
    void deviceNodesAndFifosAreMetadata() throws IOException {
      HOST.mknod(l1.path("lower-fifo"), 0010644, 0, 0);
      union();

      long nul = fs.mknod(UnionFs.ROOT, "null", 0020666, 1, 3, Ctx.ROOT);
      long fifo = fs.mknod(UnionFs.ROOT, "fifo", 0010640, 0, 0, Ctx.ROOT);
      fs.setattr(node("lower-fifo"), SetAttr.mode(0600));

      Attr n = fs.getattr(nul);
      assertThat(n.type()).isEqualTo(FileType.CHAR_DEVICE);
      assertThat(n.rdevMajor()).isEqualTo(1);
      assertThat(n.rdevMinor()).isEqualTo(3);
      assertThat(n.mode() & 07777).isEqualTo(0666);
      assertThat(fs.getattr(fifo).type()).isEqualTo(FileType.FIFO);
      assertThat(fs.getattr(fifo).mode() & 07777).isEqualTo(0640);
      Map<String, Object> up = Files.readAttributes(upper.resolve("null"), "unix:mode,rdev", NOFOLLOW_LINKS);
      assertThat((Integer) up.get("mode") & S_IFMT).isEqualTo(0020000);
      assertThat(up.get("rdev")).isEqualTo(dev.strata.host.Stat.makedev(1, 3));
      Map<String, Object> copied = Files.readAttributes(upper.resolve("lower-fifo"), "unix:mode", NOFOLLOW_LINKS);
      assertThat((Integer) copied.get("mode")).as("a copied-up fifo").isEqualTo(0010600);
      assertThat(fs.getattr(node("lower-fifo")).type()).isEqualTo(FileType.FIFO);
    }
  }

  @Nested
  class HardLinks {
    @Test
    void linkToALowerFileWorks() throws IOException {
      l1.file("a", "shared\n");
      union();
      long a = node("a");

      long b = fs.link(a, UnionFs.ROOT, "b");

      assertThat(fs.getattr(a).nlink()).isEqualTo(2);
      assertThat(fs.getattr(b).nlink()).isEqualTo(2);
      assertThat(fs.getattr(b).ino()).isEqualTo(fs.getattr(a).ino());
      assertThat(Files.isSameFile(upper.resolve("a"), upper.resolve("b"))).isTrue();
      assertThat(read(b)).isEqualTo("shared\n");
    }

    @Test
    void linkedNamesShareData() throws IOException {
      l1.file("a", "shared\n");
      union();
      long b = fs.link(node("a"), UnionFs.ROOT, "b");

      write(b, 0, "SHARED");

      assertThat(read(node("a"))).isEqualTo("SHARED\n");
      fs.setattr(node("a"), SetAttr.mode(0600));
      assertThat(fs.getattr(b).mode() & 07777).isEqualTo(0600);
    }

    @Test
    void aWriteThroughOneNameOfALowerHardLinkShowsThroughTheOthers() throws IOException {
      l1.file("h1", "same\n").file("d/other", "other\n");
      Files.createLink(l1.path("h2"), l1.path("h1"));
      Files.createLink(l1.path("d/h3"), l1.path("h1"));
      union();
      long h1 = node("h1");
      long h2 = node("h2");
      long ino = fs.getattr(h1).ino();
      assertThat(fs.getattr(h2).ino()).isEqualTo(ino);

      write(h1, 0, "SAME");

      // The kernel's index=on: the file is copied up once and every name shows the copy.
      for (String name : List.of("h1", "h2", "d/h3")) {
        long n = node(name);
        assertThat(read(n)).as(name).isEqualTo("SAME\n");
        assertThat(fs.getattr(n).ino()).as("st_ino of %s", name).isEqualTo(ino);
        assertThat(fs.getattr(n).nlink()).as("st_nlink of %s", name).isEqualTo(3);
      }
      assertThat(l1.path("h2")).hasContent("same");
    }
  }

  @Nested
  class Xattrs {
    @Test
    void overlayPrivateXattrsAreHidden() throws IOException {
      l1.file("src/c", "c\n").file("gone/x", "x\n");
      union();
      fs.rename(UnionFs.ROOT, "src", UnionFs.ROOT, "dst", 0);
      fs.unlink(node("gone"), "x");
      fs.rmdir(UnionFs.ROOT, "gone");
      long opaque = fs.mkdir(UnionFs.ROOT, "gone", 0755, Ctx.ROOT);
      fs.setxattr(opaque, "user.mine", "v".getBytes(UTF_8));
      long redirected = node("dst");
      assertThat(HOST.getxattr(upper.resolve("dst"), OVERLAY + "redirect")).isNotNull();
      assertThat(HOST.getxattr(upper.resolve("gone"), OVERLAY + "opaque")).isNotNull();

      assertThat(fs.listxattr(redirected)).noneMatch(n -> n.startsWith(OVERLAY));
      assertThat(fs.listxattr(opaque)).containsExactly("user.mine");
      assertErrno(Errno.ENODATA, () -> fs.getxattr(redirected, OVERLAY + "redirect"));
      assertErrno(Errno.ENODATA, () -> fs.getxattr(opaque, OVERLAY + "opaque"));
      assertErrno(Errno.ENODATA, () -> fs.removexattr(opaque, OVERLAY + "opaque"));
      assertThat(HOST.getxattr(upper.resolve("gone"), OVERLAY + "opaque")).isEqualTo(new byte[] {'y'});
    }

    @Test
    void overlayXattrsSetThroughTheUnionAreStoredEscaped() throws IOException {
      l1.file("d/x", "x\n");
      union();
      long d = node("d");

      // Since Linux 6.7 a user's trusted.overlay.X is kept as trusted.overlay.overlay.X (so that
      // overlays nest): it reads back, and it is not the overlay's own mark.
      fs.setxattr(d, OVERLAY + "opaque", new byte[] {'y'});

      assertThat(fs.getxattr(d, OVERLAY + "opaque")).isEqualTo(new byte[] {'y'});
      assertThat(fs.listxattr(d)).contains(OVERLAY + "opaque");
      assertThat(HOST.getxattr(upper.resolve("d"), OVERLAY + "overlay.opaque")).isEqualTo(new byte[] {'y'});
      assertThat(HOST.getxattr(upper.resolve("d"), OVERLAY + "opaque")).isNull();
      reopen();
      assertThat(names(node("d"))).as("the directory is not opaque").containsExactly("x");
    }

    @Test
    void userOverlayXattrsAreOrdinaryInAUnionWithTrustedXattrs() throws IOException {
      l1.file("f", "f\n");
      union();
      long f = node("f");

      fs.setxattr(f, "user.overlay.note", "mine".getBytes(UTF_8));

      assertThat(fs.getxattr(f, "user.overlay.note")).isEqualTo("mine".getBytes(UTF_8));
      assertThat(fs.listxattr(f)).contains("user.overlay.note");
    }

    @Test
    void userXattrsOnSymlinksAreEPERM() throws IOException {
      l1.symlink("lower-link", "/nowhere");
      union();
      long upperLink = fs.symlink(UnionFs.ROOT, "upper-link", "/nowhere", Ctx.ROOT);
      long lowerLink = node("lower-link");

      for (long link : new long[] {upperLink, lowerLink}) {
        assertErrno(Errno.EPERM, () -> fs.setxattr(link, "user.k", "v".getBytes(UTF_8)));
        assertErrno(Errno.EPERM, () -> fs.removexattr(link, "user.k"));
        assertErrno(Errno.ENODATA, () -> fs.getxattr(link, "user.k"));
      }
      assertThat(upper.resolve("lower-link")).as("no copy-up for a refused change").doesNotExist();
    }
  }

  @Nested
  class TimesAndSizes {
    @Test
    void nanosecondTimesKept() throws IOException {
      long lowerMtime = 1_234_567_890_123_456_789L;
      HOST.utimens(l1.file("f", "f\n").path("f"), lowerMtime, lowerMtime);
      union();
      long f = node("f");
      assertThat(fs.getattr(f).mtimeNanos()).isEqualTo(lowerMtime);

      fs.setattr(f, SetAttr.owner(1000, 1000)); // a metadata copy-up keeps the times

      assertThat(fs.getattr(f).mtimeNanos()).isEqualTo(lowerMtime);
      assertThat(mtime(upper.resolve("f"))).isEqualTo(lowerMtime);

      fs.setattr(f, SetAttr.times(1_500_000_000_000_000_001L, 1_600_000_000_999_999_999L));

      Attr a = fs.getattr(f);
      assertThat(a.atimeNanos()).isEqualTo(1_500_000_000_000_000_001L);
      assertThat(a.mtimeNanos()).isEqualTo(1_600_000_000_999_999_999L);
      assertThat(mtime(upper.resolve("f"))).isEqualTo(1_600_000_000_999_999_999L);
    }

    @Test
    void lowerAccessTimeIsKeptThroughCopyUp() throws IOException {
      long atime = 1_046_649_600_987_654_321L;
      long mtime = 1_012_608_000_123_456_789L;
      HOST.utimens(l1.file("f", "f\n").path("f"), atime, mtime);
      union();
      long f = node("f");

      assertThat(fs.getattr(f).atimeNanos()).as("atime of the lower file").isEqualTo(atime);
      fs.setattr(f, SetAttr.mode(0600));
      assertThat(fs.getattr(f).atimeNanos()).as("atime after copy-up").isEqualTo(atime);
    }

    @Test
    void sparseLowerFileStaysSparseAfterCopyUp() throws IOException {
      l1.sparse("sparse", 64 * MIB, 1_000_000, "hello");
      union();
      long sparse = node("sparse");

      write(sparse, 0, "W");

      Path copy = upper.resolve("sparse");
      assertThat(Files.size(copy)).isEqualTo(64 * MIB);
      assertThat(readAt(copy, 1_000_000, 5)).isEqualTo("hello");
      // The kernel skips holes (1 MiB chunks): about 2 000 blocks of 512 bytes, not 131 072.
      assertThat(allocatedBlocks(copy)).as("512-byte blocks of the copied-up sparse file").isLessThan(16_384);
    }

    @Test
    void statfsIsTheUppersFilesystem() throws Exception {
      Path fsRoot = tmpfs("upperfs", "16m");
      upper = Files.createDirectory(fsRoot.resolve("upper"));
      work = Files.createDirectory(fsRoot.resolve("work"));
      l1.file("f", "f\n");
      union();

      dev.strata.host.FsStats union = fs.statfs();
      dev.strata.host.FsStats host = HOST.statfs(upper);
      assertThat(union.blocks()).isEqualTo(host.blocks()).isNotEqualTo(HOST.statfs(l1.root).blocks());
      assertThat(union.blockSize()).isEqualTo(host.blockSize());
      assertThat(union.files()).isEqualTo(host.files());
    }

    @Test
    void statfsOfAReadOnlyUnionIsTheTopLowersFilesystem() throws Exception {
      Path top = tmpfs("lowerfs", "8m");
      Files.writeString(top.resolve("f"), "f\n");
      l2.file("g", "g\n");
      fs = UnionFs.open(List.of(HostDirLayer.open(top), HostDirLayer.open(l2.root)), null, null,
          new UnionOptions(HOST.privileges(), true, true, true));

      assertThat(fs.statfs().blocks()).isEqualTo(HOST.statfs(top).blocks());
    }
  }

  @Nested
  class ReadOnly {
    @Test
    void aUnionWithoutUpperAnswersEROFS() throws IOException {
      l1.file("f", "f\n").file("d/x", "x\n");
      HOST.setxattr(l1.path("f"), "user.k", "v".getBytes(UTF_8));
      readOnlyUnion();
      long f = node("f");
      long d = node("d");

      assertThat(read(f)).isEqualTo("f\n");
      assertThat(names(UnionFs.ROOT)).containsExactly("d", "f");
      assertErrno(Errno.EROFS, () -> fs.open(f, O_RDWR));
      assertErrno(Errno.EROFS, () -> fs.open(f, O_RDONLY | O_TRUNC));
      assertErrno(Errno.EROFS, () -> fs.create(UnionFs.ROOT, "new", 0644, O_RDWR, Ctx.ROOT));
      assertErrno(Errno.EROFS, () -> fs.mkdir(UnionFs.ROOT, "new", 0755, Ctx.ROOT));
      assertErrno(Errno.EROFS, () -> fs.symlink(UnionFs.ROOT, "new", "/x", Ctx.ROOT));
      assertErrno(Errno.EROFS, () -> fs.link(f, UnionFs.ROOT, "new"));
      assertErrno(Errno.EROFS, () -> fs.unlink(UnionFs.ROOT, "f"));
      assertErrno(Errno.EROFS, () -> fs.unlink(d, "x"));
      assertErrno(Errno.EROFS, () -> fs.rename(UnionFs.ROOT, "f", UnionFs.ROOT, "g", 0));
      assertErrno(Errno.EROFS, () -> fs.setattr(f, SetAttr.mode(0600)));
      assertErrno(Errno.EROFS, () -> fs.setattr(f, SetAttr.times(1, 1)));
      assertErrno(Errno.EROFS, () -> fs.setxattr(f, "user.k", "w".getBytes(UTF_8)));
      assertErrno(Errno.EROFS, () -> fs.removexattr(f, "user.k"));
      // Creating over an existing name: the VFS looks the name up first.
      assertErrno(Errno.EEXIST, () -> fs.mkdir(UnionFs.ROOT, "d", 0755, Ctx.ROOT));
      assertThat(fs.getxattr(f, "user.k")).isEqualTo("v".getBytes(UTF_8));
      assertThat(read(f)).isEqualTo("f\n");
    }

    @Test
    void readOnlyUnionAnswersEROFSBeforeAnyOtherError() throws IOException {
      l1.file("d/x", "x\n").file("f", "f\n").symlink("s", "/x");
      readOnlyUnion();

      // The VFS asks mnt_want_write before it looks at the name or the xattr.
      assertErrno(Errno.EROFS, () -> fs.unlink(UnionFs.ROOT, "missing"));
      assertErrno(Errno.EROFS, () -> fs.rmdir(UnionFs.ROOT, "d"));
      assertErrno(Errno.EROFS, () -> fs.rmdir(UnionFs.ROOT, "missing"));
      assertErrno(Errno.EROFS, () -> fs.rename(UnionFs.ROOT, "missing", UnionFs.ROOT, "g", 0));
      assertErrno(Errno.EROFS, () -> fs.removexattr(node("f"), "user.absent"));
      assertErrno(Errno.EROFS, () -> fs.setxattr(node("s"), "user.k", new byte[] {1}));
    }
  }

  // ---------------------------------------------------------------------------------------
  // The union

  private void union() throws IOException {
    fs = UnionFs.open(lowers(), upper, work, UnionOptions.defaults(HOST.privileges()));
  }

  private void readOnlyUnion() throws IOException {
    fs = UnionFs.open(lowers(), null, null, new UnionOptions(HOST.privileges(), true, true, true));
  }

  /** Closes the union and opens it again over the same layers and upper: a remount. */
  private void reopen() throws IOException {
    fs.close();
    union();
  }

  private List<LowerLayer> lowers() throws IOException {
    return List.of(HostDirLayer.open(l1.root), HostDirLayer.open(l2.root), HostDirLayer.open(l3.root));
  }

  /** Resolves a slash-separated path from the root, one lookup per component. */
  private long node(String path) throws IOException {
    long n = UnionFs.ROOT;
    for (String part : path.split("/")) {
      n = fs.lookup(n, part);
    }
    return n;
  }

  private List<DirEntry> entries(long dirNode) throws IOException {
    long h = fs.opendir(dirNode);
    try {
      return List.copyOf(fs.readdir(h, 0));
    } finally {
      fs.releasedir(h);
    }
  }

  /** The names of a directory without "." and "..", in listing order (sorted). */
  private List<String> names(long dirNode) throws IOException {
    return entries(dirNode).stream().map(DirEntry::name).filter(n -> !n.equals(".") && !n.equals("..")).toList();
  }

  private String read(long node) throws IOException {
    long fh = fs.open(node, O_RDONLY);
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(1 << 16);
      long off = 0;
      int n;
      while ((n = fs.read(fh, off, buf.clear())) > 0) {
        out.write(buf.array(), 0, n);
        off += n;
      }
      return out.toString(UTF_8);
    } finally {
      fs.release(fh);
    }
  }

  private String readAt(long node, long offset, int length) throws IOException {
    long fh = fs.open(node, O_RDONLY);
    try {
      ByteBuffer buf = ByteBuffer.allocate(length);
      int n = fs.read(fh, offset, buf);
      return new String(buf.array(), 0, Math.max(0, n), UTF_8);
    } finally {
      fs.release(fh);
    }
  }

  private void write(long node, long offset, String text) throws IOException {
    long fh = fs.open(node, O_RDWR);
    try {
      fs.write(fh, offset, ByteBuffer.wrap(text.getBytes(UTF_8)));
    } finally {
      fs.release(fh);
    }
  }

  private static void assertErrno(Errno expected, ThrowingCallable op) {
    assertThatThrownBy(op).isInstanceOfSatisfying(ErrnoException.class,
        e -> assertThat(e.errno()).as(e.getMessage()).isEqualTo(expected));
  }

  // ---------------------------------------------------------------------------------------
  // The host: layers, the upper's format, the kernel

  /** One lower layer in the kernel's format. */
  private static final class Layer {
    final Path root;

    Layer(Path root) {
      this.root = root;
    }

    Path path(String rel) {
      return root.resolve(rel);
    }

    Layer file(String rel, String content) throws IOException {
      Files.createDirectories(path(rel).getParent());
      Files.writeString(path(rel), content);
      return this;
    }

    /** A char 0/0 device: the kernel's whiteout. */
    Layer whiteout(String rel) throws IOException {
      Files.createDirectories(path(rel).getParent());
      HOST.mknod(path(rel), 0020000, 0, 0);
      return this;
    }

    Layer opaque(String rel) throws IOException {
      Files.createDirectories(path(rel));
      HOST.setxattr(path(rel), OVERLAY + "opaque", new byte[] {'y'});
      return this;
    }

    Layer symlink(String rel, String target) throws IOException {
      Files.createDirectories(path(rel).getParent());
      Files.createSymbolicLink(path(rel), Path.of(target));
      return this;
    }

    /** A sparse file of {@code size} bytes holding {@code data} at {@code offset} and holes elsewhere. */
    Path sparse(String rel, long size, long offset, String data) throws IOException {
      try (RandomAccessFile f = new RandomAccessFile(path(rel).toFile(), "rw")) {
        f.setLength(size);
        f.seek(offset);
        f.write(data.getBytes(UTF_8));
      }
      return path(rel);
    }
  }

  private static String read(Path p) throws IOException {
    return Files.readString(p);
  }

  private static String readAt(Path p, long offset, int length) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
      byte[] b = new byte[length];
      f.seek(offset);
      f.readFully(b);
      return new String(b, UTF_8);
    }
  }

  private static boolean isWhiteout(Path p) throws IOException {
    Map<String, Object> a = Files.readAttributes(p, "unix:mode,rdev", NOFOLLOW_LINKS);
    return ((Integer) a.get("mode") & S_IFMT) == 0020000 && (Long) a.get("rdev") == 0;
  }

  private static long mtime(Path p) throws IOException {
    return nanos(Files.readAttributes(p, "unix:lastModifiedTime", NOFOLLOW_LINKS).get("lastModifiedTime"));
  }

  private static long nanos(Object fileTime) {
    java.time.Instant i = ((java.nio.file.attribute.FileTime) fileTime).toInstant();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  /** st_blocks, which the JDK does not expose. */
  private static long allocatedBlocks(Path p) throws IOException {
    return Long.parseLong(run("stat", "-c", "%b", p.toString()).trim());
  }

  /** A vfs_cap_data, revision 2: cap_net_raw permitted and effective. */
  private static byte[] vfsCapNetRaw() {
    ByteBuffer b = ByteBuffer.allocate(20).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.putInt(0x02000001).putInt(1 << 13).putInt(0).putInt(0).putInt(0);
    return b.array();
  }

  /** Mounts a tmpfs of {@code size} at a fresh directory: another filesystem than /tmp. */
  private Path tmpfs(String name, String size) throws Exception {
    Path at = Files.createDirectory(dir.resolve(name));
    run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", at.toString());
    mounts.add(at);
    return at;
  }

  /** Lists {@code rel} in a kernel overlay over the three lowers and the given upper. */
  private List<String> kernelList(Path upperDir, String rel) throws IOException {
    Path mnt = Files.createDirectories(dir.resolve("kernel-" + mounts.size()));
    run("mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + l1.root + ":" + l2.root + ":" + l3.root
        + ",upperdir=" + upperDir + ",workdir=" + work + ",redirect_dir=on,index=off,metacopy=on", mnt.toString());
    mounts.add(mnt);
    try (Stream<Path> s = Files.list(mnt.resolve(rel))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static String run(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException(String.join(" ", command) + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return out;
  }
}
