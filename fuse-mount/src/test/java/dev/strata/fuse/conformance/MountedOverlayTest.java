package dev.strata.fuse.conformance;

import dev.strata.fuse.TestHost;
import dev.strata.host.ErrnoException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every conformance test does: fresh lower layers under a temporary directory, an empty
 * upper and work directory, one mount of the kind under test, and the unmount afterwards
 * whatever happened.
 */
abstract class MountedOverlayTest {
  static final TestHost HOST = TestHost.ofProcess();
  static final int S_IFMT = 0170000;

  @TempDir Path dir;
  /** The merged root, once mounted. */
  Path mnt;
  private ConformanceLowers lowers;
  private Overlay mounted;

  /** The lower layers, built on first use: a test may add to them before it mounts. */
  ConformanceLowers lowers() throws IOException {
    if (lowers == null) {
      // Other users must reach the mount point to be checked against its modes.
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      lowers = ConformanceLowers.build(dir, HOST);
    }
    return lowers;
  }

  /** Mounts the lowers with an empty upper; returns the merged root. */
  Path mount(Overlay overlay) throws IOException, InterruptedException {
    return mount(overlay, Files.createDirectories(dir.resolve("upper")), Files.createDirectories(dir.resolve("work")));
  }

  /** Mounts the lowers alone, which makes the mount read-only. */
  Path mountReadOnly(Overlay overlay) throws IOException, InterruptedException {
    return mount(overlay, null, null);
  }

  private Path mount(Overlay overlay, Path upper, Path work) throws IOException, InterruptedException {
    List<Path> layers = lowers().topFirst();
    Path at = Files.createDirectories(dir.resolve("mnt"));
    mounted = overlay;
    overlay.mount(layers, upper, work, at);
    mnt = at;
    return mnt;
  }

  @AfterEach
  void unmount() throws IOException, InterruptedException {
    try {
      if (mounted != null && MountTable.contains(dir.resolve("mnt"))) {
        mounted.unmount(dir.resolve("mnt"));
      }
    } finally {
      removeAll();
    }
  }

  private void removeAll() throws IOException, InterruptedException {
    // rm, not @TempDir's own cleanup: paths near PATH_MAX in the upper are longer than any
    // absolute path java.nio can pass. --one-file-system leaves a mount that stayed alone.
    List<String> rm = new ArrayList<>(List.of("rm", "-rf", "--one-file-system"));
    try (Stream<Path> s = Files.list(dir)) {
      s.forEach(p -> rm.add(p.toString()));
    }
    Command.check(rm.toArray(String[]::new));
  }

  Path at(String path) {
    return mnt.resolve(path);
  }

  Path lower(String layerAndPath) {
    return dir.resolve(layerAndPath);
  }

  String read(String path) throws IOException {
    return Files.readString(at(path));
  }

  void write(String path, String content) throws IOException {
    Files.writeString(at(path), content);
  }

  /** The names in a directory, sorted, without "." and "..". */
  List<String> list(String path) throws IOException {
    try (Stream<Path> s = Files.list(at(path))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** lstat(2) of a path in the mount. */
  static Map<String, Object> stat(Path p) throws IOException {
    return Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
  }

  Map<String, Object> stat(String path) throws IOException {
    return stat(at(path));
  }

  int mode(String path) throws IOException {
    return (Integer) stat(path).get("mode");
  }

  long ino(String path) throws IOException {
    return (Long) stat(path).get("ino");
  }

  int nlink(String path) throws IOException {
    return (Integer) stat(path).get("nlink");
  }

  static long nanos(Object fileTime) {
    return ((FileTime) fileTime).to(TimeUnit.NANOSECONDS);
  }

  /** A user xattr's value as text, or null. */
  String xattr(String path, String name) throws IOException {
    byte[] v = HOST.getxattr(at(path), name);
    return v == null ? null : new String(v, StandardCharsets.UTF_8);
  }

  /** What an xattr call answers: "ok" or the errno's name. */
  static String xattrAnswer(XattrCall call) throws IOException {
    try {
      call.run();
      return Posix.OK;
    } catch (ErrnoException e) {
      return e.errno().name();
    }
  }

  /** One call of {@link TestHost}. */
  interface XattrCall {
    void run() throws IOException;
  }
}
