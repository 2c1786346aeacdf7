package dev.strata.union;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.hash.Hashing;
import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.HostPaths;
import dev.strata.host.Privileges;
import dev.strata.overlay.Whiteouts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Stacks of host directories in the kernel's full format, as uppers of earlier unions leave
 * them: metacopy files whose data lies layers down, absolute and relative redirects, redirected
 * directories on the way of an absolute lookup, opaque directories, whiteouts. Each stack is
 * written twice: with {@code trusted.overlay.*} marks and char 0/0 whiteouts for kernel
 * overlayfs, the oracle, which mounts it read-only; and in the convention under test for the
 * engine (the {@code user.overlay.*} one with {@code .wh.} whiteout files, as rootless uppers
 * keep them). Both must show the same tree. Needs root.
 */
class KernelFormatStacksTest {
  @TempDir Path dir;
  private final List<Path> mounts = new ArrayList<>();

  @AfterEach
  void unmount() throws Exception {
    for (Path m : mounts) {
      run("umount", m.toString());
    }
  }

  /** A renamed file renamed again in each later upper: its data is at the bottom. */
  @ParameterizedTest
  @ValueSource(strings = {"trusted.overlay.", "user.overlay."})
  void metacopyFilesReadTheirDataThroughAChainOfRedirects(String convention) throws Exception {
    Layers s = new Layers(convention, 3);
    s.file(2, "a", "data of a\n");
    s.file(2, "big", "big ".repeat(30_000));
    s.dir(1, "d");
    s.metacopy(1, "d/a2", 10, "/a");
    s.whiteout(1, "a");
    s.metacopy(1, "big2", 120_000, "big");
    s.whiteout(1, "big");
    s.dir(0, "e");
    s.opaque(0, "e");
    // An absolute redirect reaches down even from an opaque directory.
    s.metacopy(0, "e/a3", 10, "/d/a2");
    s.whiteout(0, "d/a2");
    s.metacopy(0, "big3", 120_000, "big2");
    s.whiteout(0, "big2");
    // Metadata only, no redirect: the same path below, whose own redirect then counts.
    s.metacopy(0, "d/kept", 6, null);
    s.file(1, "d/kept", "kept!\n");
    assertSameTree(s);
  }

  /**
   * A relative redirect met below an absolute one names a sibling in the absolute path
   * ("/p/q" then "r" is "/p/r"), not a name at the root.
   */
  @ParameterizedTest
  @ValueSource(strings = {"trusted.overlay.", "user.overlay."})
  void aRelativeRedirectBelowAnAbsoluteOneStaysInItsDirectory(String convention) throws Exception {
    Layers s = new Layers(convention, 3);
    s.file(2, "p/r/file", "deep\n");
    s.file(2, "r/file", "the wrong r\n");
    s.dir(1, "p/q");
    s.redirect(1, "p/q", "r");
    s.whiteout(1, "p/r");
    s.dir(0, "n");
    s.redirect(0, "n", "/p/q");
    s.metacopy(0, "n/moved", 5, "/p/q/file");
    assertSameTree(s);
  }

  /**
   * An absolute lookup walks each layer from its root, so that a directory renamed in a layer
   * on the way sends the layers below to its old name.
   */
  @ParameterizedTest
  @ValueSource(strings = {"trusted.overlay.", "user.overlay."})
  void anAbsoluteLookupFollowsTheRedirectsOfDirectoriesOnItsWay(String convention) throws Exception {
    Layers s = new Layers(convention, 3);
    s.file(2, "z/q/file", "under z\n");
    s.file(2, "z/q/other", "also under z\n");
    s.dir(1, "p");
    s.redirect(1, "p", "/z");
    s.whiteout(1, "z");
    s.dir(0, "n");
    s.redirect(0, "n", "/p/q");
    s.metacopy(0, "f", 8, "/p/q/file");
    // What the layer on the way holds itself ends the lookup there: a whiteout, a file.
    s.dir(0, "w");
    s.redirect(0, "w", "/p/gone/q");
    s.whiteout(1, "p/gone");
    s.file(2, "z/gone/q/hidden", "hidden\n");
    assertSameTree(s);
  }

  /** The kernel refuses a metacopy file without data below; the engine refuses to open it. */
  @ParameterizedTest
  @ValueSource(strings = {"trusted.overlay.", "user.overlay."})
  void aMetacopyFileWithoutDataBelowCannotBeRead(String convention) throws Exception {
    Layers s = new Layers(convention, 3);
    s.file(2, "gone", "old!");
    s.whiteout(1, "gone");
    s.metacopy(0, "whited-out", 4, "/gone");
    s.file(2, "dir/x", "x\n");
    s.metacopy(0, "over-a-directory", 4, "/dir");
    s.metacopy(0, "over-nothing", 4, "/nothing");
    s.metacopy(2, "at-the-bottom", 4, null);
    Path kernel = s.mountKernel();
    try (UnionFs fs = s.openEngine()) {
      for (String name : List.of("whited-out", "over-a-directory", "over-nothing", "at-the-bottom")) {
        assertThatThrownBy(() -> Files.readAllBytes(kernel.resolve(name))).as("kernel: %s", name)
            .isInstanceOf(FileSystemException.class).hasMessageContaining("Input/output error");
        long node = fs.lookup(UnionFs.ROOT, name);
        assertThatThrownBy(() -> fs.open(node, 0)).as("engine: %s", name)
            .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO));
      }
    }
  }

  /**
   * An upper the kernel wrote, read alone as a layer: each part of the format is what the
   * kernel means by it, and none of the kernel's own xattrs shows.
   */
  @org.junit.jupiter.api.Test
  void anUpperTheKernelWroteReadsAsALayer() throws Exception {
    Path lower = Files.createDirectories(dir.resolve("lower"));
    Files.writeString(lower.resolve("a"), "data of a\n");
    Files.writeString(lower.resolve("b"), "one file, two names\n");
    Files.createDirectories(lower.resolve("d/sub"));
    Files.createLink(lower.resolve("d/b2"), lower.resolve("b"));
    Files.writeString(lower.resolve("gone"), "deleted\n");
    Path upper = Files.createDirectories(dir.resolve("upper"));
    Path at = Files.createDirectories(dir.resolve("mnt"));
    run("mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + lower + ",upperdir=" + upper + ",workdir="
        + Files.createDirectories(dir.resolve("work")) + ",redirect_dir=on,index=on,metacopy=on", at.toString());
    try {
      HostPaths.chmod(at.resolve("a"), 0600);
      Files.move(at.resolve("a"), at.resolve("d/a2"));
      Files.move(at.resolve("d/sub"), at.resolve("d/sub2"));
      HostPaths.lchown(at.resolve("b"), 1000, 1000);
      Files.createLink(at.resolve("b3"), at.resolve("d/b2"));
      Files.delete(at.resolve("gone"));
      Files.createDirectory(at.resolve("gone"));
    } finally {
      run("umount", at.toString());
    }

    try (HostDirLayer layer = HostDirLayer.open(upper)) {
      LowerEntry moved = layer.stat("d/a2");
      assertThat(moved.type()).isEqualTo(FileType.REGULAR);
      assertThat(moved.mode()).isEqualTo(0600);
      assertThat(moved.size()).as("a metacopy file has its data's size").isEqualTo(10);
      assertThat(layer.metacopy("d/a2")).isEqualTo(new LowerLayer.Metacopy("/a"));
      assertThat(layer.stat("a").type()).isEqualTo(FileType.WHITEOUT);
      assertThat(layer.stat("d/sub2").redirect()).isEqualTo("sub");
      assertThat(layer.stat("d/sub").type()).isEqualTo(FileType.WHITEOUT);
      assertThat(layer.stat("gone").opaque()).as("a directory made over a whiteout").isTrue();
      // Linked through the index: three names, and the link count has the index's own too.
      assertThat(layer.stat("b3").identity()).isEqualTo(layer.stat("b").identity()).isEqualTo(layer.stat("d/b2").identity());
      assertThat(layer.stat("b").uid()).isEqualTo(1000);
      assertThat(layer.stat("b").nlink()).isEqualTo(4);
      assertThat(layer.metacopy("b")).as("linked as metadata only").isNotNull();
      assertThat(layer.metacopy("d/sub2")).isNull();
      for (String path : List.of("", "d", "d/a2", "d/sub2", "b", "b3", "gone")) {
        assertThat(layer.xattrs(path).keySet()).as(path).noneMatch(Whiteouts::isOverlayXattr);
      }
      assertThat(layer.list("")).extracting(LowerEntry::name).containsExactlyInAnyOrder("a", "b", "b3", "d", "gone");
    }
  }

  private void assertSameTree(Layers s) throws Exception {
    Path kernel = s.mountKernel();
    try (UnionFs fs = s.openEngine()) {
      Map<String, String> expected = new TreeMap<>();
      walk(kernel, "", expected);
      Map<String, String> actual = new TreeMap<>();
      walk(fs, UnionFs.ROOT, "", actual);
      assertThat(actual).isEqualTo(expected);
    }
  }

  /** A file as both sides describe it: type, permission bits, size, content. */
  private static String describe(FileType type, int mode, long size, byte[] content) {
    return type + " " + Integer.toOctalString(mode & 07777) + " size=" + size
        + (content == null ? "" : " sha=" + Hashing.sha256().hashBytes(content).toString().substring(0, 16));
  }

  private static void walk(Path root, String path, Map<String, String> out) throws IOException {
    List<Path> children;
    try (Stream<Path> s = Files.list(path.isEmpty() ? root : root.resolve(path))) {
      children = s.sorted().toList();
    }
    for (Path p : children) {
      String child = root.relativize(p).toString();
      int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      FileType type = FileType.ofMode(mode);
      out.put(child, describe(type, mode, type == FileType.DIRECTORY ? 0 : Files.size(p),
          type == FileType.REGULAR ? Files.readAllBytes(p) : null));
      if (type == FileType.DIRECTORY) {
        walk(root, child, out);
      }
    }
  }

  private static void walk(UnionFs fs, long node, String path, Map<String, String> out) throws IOException {
    long handle = fs.opendir(node);
    List<DirEntry> entries;
    try {
      entries = fs.readdir(handle, 0);
    } finally {
      fs.releasedir(handle);
    }
    for (DirEntry e : entries) {
      if (e.name().equals(".") || e.name().equals("..")) {
        continue;
      }
      String child = path.isEmpty() ? e.name() : path + "/" + e.name();
      long id = fs.lookup(node, e.name());
      Attr a = fs.getattr(id);
      out.put(child, describe(a.type(), a.mode(), a.type() == FileType.DIRECTORY ? 0 : a.size(),
          a.type() == FileType.REGULAR ? read(fs, id) : null));
      if (a.type() == FileType.DIRECTORY) {
        walk(fs, id, child, out);
      }
    }
  }

  private static byte[] read(UnionFs fs, long node) throws IOException {
    long handle = fs.open(node, 0);
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(1 << 16);
      int n;
      while ((n = fs.read(handle, bytes.size(), buf.clear())) > 0) {
        bytes.write(buf.array(), 0, n);
      }
      return bytes.toByteArray();
    } finally {
      fs.release(handle);
    }
  }

  /**
   * One stack, top first, written twice: {@code kernel/lN} in root's convention and
   * {@code engine/lN} in the convention under test.
   */
  private final class Layers {
    private final String convention;
    private final List<Path> kernel = new ArrayList<>();
    private final List<Path> engine = new ArrayList<>();

    Layers(String convention, int count) throws IOException {
      this.convention = convention;
      for (int i = 0; i < count; i++) {
        kernel.add(Files.createDirectories(dir.resolve("kernel/l" + i)));
        engine.add(Files.createDirectories(dir.resolve("engine/l" + i)));
      }
    }

    void file(int layer, String path, String content) throws IOException {
      for (Path root : List.of(kernel.get(layer), engine.get(layer))) {
        Path p = root.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
      }
    }

    void dir(int layer, String path) throws IOException {
      Files.createDirectories(kernel.get(layer).resolve(path));
      Files.createDirectories(engine.get(layer).resolve(path));
    }

    void whiteout(int layer, String path) throws IOException {
      Path k = kernel.get(layer).resolve(path);
      Files.createDirectories(k.getParent());
      HostPaths.mknod(k, 0020000, 0, 0);
      Path e = engine.get(layer).resolve(path);
      Files.createDirectories(e.getParent());
      if (convention.startsWith("trusted.")) {
        HostPaths.mknod(e, 0020000, 0, 0);
      } else {
        Files.write(e.resolveSibling(".wh." + e.getFileName()), new byte[0]);
      }
    }

    void opaque(int layer, String path) throws IOException {
      mark(layer, path, "opaque", "y");
    }

    void redirect(int layer, String path, String to) throws IOException {
      mark(layer, path, "redirect", to);
    }

    /** A metadata-only file of {@code size} bytes, all of them a hole, as the kernel leaves it. */
    void metacopy(int layer, String path, long size, String redirect) throws IOException {
      for (Path root : List.of(kernel.get(layer), engine.get(layer))) {
        Path p = root.resolve(path);
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[0]);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
          f.setLength(size);
        }
      }
      mark(layer, path, "metacopy", "");
      if (redirect != null) {
        redirect(layer, path, redirect);
      }
    }

    private void mark(int layer, String path, String key, String value) throws IOException {
      byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
      HostPaths.setxattr(kernel.get(layer).resolve(path), "trusted.overlay." + key, bytes);
      HostPaths.setxattr(engine.get(layer).resolve(path), convention + key, bytes);
    }

    /** Mounts the kernel's copy read-only, following redirects and metacopy files. */
    Path mountKernel() throws Exception {
      Path at = Files.createDirectories(dir.resolve("mnt"));
      run("mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + String.join(":",
          kernel.stream().map(Path::toString).toList()) + ",redirect_dir=follow,metacopy=on", at.toString());
      mounts.add(at);
      return at;
    }

    UnionFs openEngine() throws IOException {
      List<LowerLayer> layers = new ArrayList<>();
      for (Path p : engine) {
        layers.add(HostDirLayer.open(p));
      }
      return UnionFs.open(layers, null, null, UnionOptions.defaults(Privileges.ofProcess()));
    }
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), out).isZero();
  }
}
