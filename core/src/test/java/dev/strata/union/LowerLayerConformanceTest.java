package dev.strata.union;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.layer.Bytes;
import dev.strata.overlay.Whiteouts;
import dev.strata.union.LayerFixture.Item;
import dev.strata.union.LayerFixture.Kind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link LowerLayer} must say about one logical layer ({@link LayerFixture#standard}):
 * each implementation builds it its own way and runs these same checks.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class LowerLayerConformanceTest {
  final LayerFixture fixture = LayerFixture.standard();
  LowerLayer layer;

  /** Returns the implementation under test holding {@code fixture}, its files under {@code dir}. */
  abstract LowerLayer create(LayerFixture fixture, Path dir) throws Exception;

  /**
   * Returns whether directories the layer holds without an entry of their own are marked implied
   * (a tar can leave them out; a host directory cannot).
   */
  abstract boolean marksImpliedDirectories();

  /** Returns whether the layer can show the xattr {@code name} (a host may see only some namespaces). */
  boolean showsXattr(String name) {
    return true;
  }

  @BeforeAll
  void createLayer(@TempDir Path dir) throws Exception {
    layer = create(fixture, dir);
  }

  @AfterAll
  void closeLayer() throws IOException {
    if (layer != null) {
      layer.close();
    }
  }

  @Test
  void statOfEveryEntry() throws IOException {
    // All paths compared at once, so that one run shows every difference.
    Map<String, String> expected = new TreeMap<>();
    Map<String, String> actual = new TreeMap<>();
    for (Item i : fixture.items()) {
      if (i.kind() == Kind.OPAQUE) {
        continue;
      }
      Item shown = i.kind() == Kind.HARDLINK ? fixture.item(i.link()) : i;
      FileType type = LayerFixture.type(i.kind());
      long size = switch (type) {
        case REGULAR -> fixture.content(i.path()).length;
        case SYMLINK -> i.link().getBytes(StandardCharsets.UTF_8).length;
        default -> 0;
      };
      int names = (int) fixture.items().stream()
          .filter(o -> o.path().equals(shown.path()) || (o.kind() == Kind.HARDLINK && o.link().equals(shown.path())))
          .count();
      String name = i.path().substring(i.path().lastIndexOf('/') + 1);
      expected.put(i.path(), type == FileType.WHITEOUT ? summary(name, type)
          : summary(name, type, shown.mode(), shown.uid(), shown.gid(), size, shown.mtime().getEpochSecond(),
              shown.mtime().getNano(), i.major(), i.minor(), type == FileType.DIRECTORY ? 0 : names,
              fixture.opaque(i.path())));
      actual.put(i.path(), summary(layer.stat(i.path())));
    }
    assertThat(actual).isEqualTo(expected);
  }

  /** The attributes every lower layer must agree on; a whiteout's own attributes are not among them. */
  private static String summary(LowerEntry e) {
    if (e == null) {
      return "null";
    }
    if (e.implied() || e.redirect() != null) {
      return "implied=" + e.implied() + " redirect=" + e.redirect();
    }
    if (e.type() == FileType.WHITEOUT) {
      return summary(e.name(), e.type());
    }
    // A directory's size and link count are each layer's own (a host directory's, none in a tar).
    return summary(e.name(), e.type(), e.mode(), e.uid(), e.gid(), e.isDirectory() ? 0 : e.size(), e.mtimeSeconds(),
        e.mtimeNanos(), e.rdevMajor(), e.rdevMinor(), e.isDirectory() ? 0 : e.nlink(), e.opaque());
  }

  private static String summary(String name, FileType type) {
    return name + " " + type;
  }

  private static String summary(String name, FileType type, int mode, long uid, long gid, long size, long seconds,
      int nanos, int major, int minor, int nlink, boolean opaque) {
    return String.format("%s %s mode=%o uid=%d gid=%d size=%d mtime=%d.%09d rdev=%d:%d nlink=%d opaque=%s", name, type,
        mode, uid, gid, size, seconds, nanos, major, minor, nlink, opaque);
  }

  @Test
  void hardLinksShareAnIdentityAndNothingElseDoes() throws IOException {
    assertThat(layer.stat("usr/bin/su-link").identity()).isEqualTo(layer.stat("usr/bin/su").identity());
    Map<Long, String> seen = new HashMap<>();
    for (String path : allPaths()) {
      if (path.equals("usr/bin/su-link")) {
        continue;
      }
      String before = seen.put(layer.stat(path).identity(), path);
      assertThat(before).as("identity of %s", path).isNull();
    }
  }

  @Test
  void impliedDirectories() throws IOException {
    assertThat(fixture.impliedDirs()).containsExactly("", "implied", "implied/deeper");
    for (String d : fixture.impliedDirs()) {
      LowerEntry e = layer.stat(d);
      assertThat(e.type()).as(d).isEqualTo(FileType.DIRECTORY);
      assertThat(e.name()).isEqualTo(d.substring(d.lastIndexOf('/') + 1));
      assertThat(e.opaque()).isFalse();
      assertThat(e.implied()).as(d).isEqualTo(marksImpliedDirectories());
      if (marksImpliedDirectories()) {
        assertThat(e.mode()).isEqualTo(0755);
        assertThat(e.uid()).isZero();
        assertThat(e.gid()).isZero();
        assertThat(e.mtimeSeconds()).isZero();
        assertThat(e.mtimeNanos()).isZero();
      }
    }
  }

  @Test
  void listingsHoldEveryNameWithItsTypeAndWhiteoutsAndNoOpaqueMarker() throws IOException {
    Map<String, TreeSet<String>> expected = new TreeMap<>();
    Map<String, TreeSet<String>> actual = new TreeMap<>();
    for (String d : fixture.dirs()) {
      TreeSet<String> listed = new TreeSet<>();
      for (LowerEntry e : layer.list(d)) {
        listed.add(e.name() + ":" + e.type());
        String path = d.isEmpty() ? e.name() : d + "/" + e.name();
        assertThat(layer.stat(path)).as("stat of listed %s", path).isEqualTo(e);
      }
      expected.put(d, fixture.listing(d));
      actual.put(d, listed);
    }
    assertThat(actual).isEqualTo(expected);
  }

  @Test
  void whiteoutsAndOpaqueDirectories() throws IOException {
    assertThat(layer.stat("etc/old-file").type()).isEqualTo(FileType.WHITEOUT);
    assertThat(layer.stat("etc/old-file").name()).isEqualTo("old-file");
    assertThat(layer.stat("var/cache").type()).isEqualTo(FileType.WHITEOUT);
    assertThat(layer.stat("srv").opaque()).isTrue();
    assertThat(layer.stat("etc").opaque()).isFalse();
    assertThat(layer.stat("srv/.wh..wh..opq")).isNull();
    assertThat(layer.stat("etc/.wh.old-file")).isNull();
    assertThat(layer.list("srv")).extracting(LowerEntry::name).containsExactly("new.txt");
    assertThat(layer.list("var")).extracting(LowerEntry::name, LowerEntry::type)
        .containsExactly(tuple("cache", FileType.WHITEOUT));
  }

  @Test
  void readsGiveExactlyTheBytesAtEveryPosition() throws IOException {
    for (Item i : fixture.items()) {
      if (i.kind() != Kind.FILE && i.kind() != Kind.HARDLINK) {
        continue;
      }
      byte[] expected = fixture.content(i.path());
      try (FileContent c = layer.open(i.path())) {
        assertThat(c.size()).as(i.path()).isEqualTo(expected.length);
        assertThat(readAll(c, 8191)).as(i.path()).isEqualTo(expected);
        for (long at : new long[] {0, 1, 4095, 4096, 65535, 65536, 65537, expected.length - 1L}) {
          if (at < 0 || at >= expected.length) {
            continue;
          }
          ByteBuffer buf = ByteBuffer.allocate(5000);
          int n = c.read(at, buf);
          int want = (int) Math.min(5000, expected.length - at);
          assertThat(n).as("%s at %d", i.path(), at).isEqualTo(want);
          assertThat(Arrays.copyOf(buf.array(), n)).isEqualTo(Arrays.copyOfRange(expected, (int) at, (int) at + want));
        }
        assertThat(c.read(expected.length, ByteBuffer.allocate(10))).as("%s at the end", i.path()).isEqualTo(-1);
        assertThat(c.read(expected.length + 100L, ByteBuffer.allocate(10))).as("%s past the end", i.path())
            .isEqualTo(-1);
        FileContent.Extent extent = c.extent();
        if (extent != null) {
          ByteBuffer held = ByteBuffer.allocate(expected.length);
          while (held.hasRemaining() && extent.file().read(extent.offset() + held.position(), held) > 0) { }
          assertThat(held.array()).as("host file of %s", i.path()).isEqualTo(expected);
        }
      }
    }
  }

  @Test
  void readIntoTheMiddleOfABufferKeepsItsOtherBytes() throws IOException {
    try (FileContent c = layer.open("etc/hosts")) {
      ByteBuffer buf = ByteBuffer.allocate(16);
      buf.put(new byte[] {7, 7, 7});
      buf.limit(8);
      assertThat(c.read(10, buf)).isEqualTo(5);
      assertThat(buf.position()).isEqualTo(8);
      assertThat(Arrays.copyOf(buf.array(), 9)).containsExactly(7, 7, 7, 'l', 'o', 'c', 'a', 'l', 0);
    }
  }

  @Test
  void concurrentReadersOfOneFile() throws Exception {
    byte[] expected = fixture.content("usr/bin/big");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (FileContent c = layer.open("usr/bin/big")) {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        long seed = t;
        done.add(pool.submit(() -> {
          Random r = new Random(seed);
          for (int k = 0; k < 200; k++) {
            int at = r.nextInt(expected.length);
            ByteBuffer buf = ByteBuffer.allocate(1 + r.nextInt(9000));
            int n = c.read(at, buf);
            assertThat(Arrays.copyOf(buf.array(), n))
                .isEqualTo(Arrays.copyOfRange(expected, at, at + n));
            assertThat(n).isEqualTo(Math.min(buf.capacity(), expected.length - at));
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void everyFileHoldsItsOwnData() throws IOException {
    for (Item i : fixture.items()) {
      if (i.kind() == Kind.FILE || i.kind() == Kind.HARDLINK) {
        assertThat(layer.metacopy(i.path())).as(i.path()).isNull();
      }
    }
  }

  @Test
  void symlinksReadAsStored() throws IOException {
    for (Item i : fixture.items()) {
      if (i.kind() == Kind.SYMLINK) {
        assertThat(layer.readlink(i.path())).as(i.path()).isEqualTo(i.link());
      }
    }
  }

  @Test
  void xattrsAreExactBinaryIncluded() throws IOException {
    Predicate<String> shows = this::showsXattr;
    for (String path : allPaths()) {
      Item i = fixture.item(path);
      Map<String, Bytes> expected = i == null || i.kind() == Kind.SYMLINK ? Map.of()
          : LayerFixture.visible((i.kind() == Kind.HARDLINK ? fixture.item(i.link()) : i).xattrs(), shows);
      LowerEntry e = layer.stat(path);
      if (e.type() == FileType.WHITEOUT) {
        continue;
      }
      assertThat(Map.copyOf(layer.xattrs(path))).as("xattrs of '%s'", path).isEqualTo(expected);
    }
    assertThat(layer.xattrs("etc/hosts").get("user.foo")).isEqualTo(Bytes.copyOf("bar".getBytes()));
    if (showsXattr("security.capability")) {
      assertThat(layer.xattrs("etc/hosts").get("security.capability").toArray()).isEqualTo(LayerFixture.CAPABILITY);
    }
    assertThat(layer.xattrs("srv").keySet()).noneMatch(Whiteouts::isOverlayXattr);
  }

  @Test
  void missingPathsAndWrongTypes() throws IOException {
    for (String missing : List.of("nope", "etc/nope", "etc/hosts/x", "nope/x", "dev/null/x", "etc/old-file/x")) {
      assertThat(layer.stat(missing)).as(missing).isNull();
      assertThat(layer.list(missing)).as(missing).isEmpty();
    }
    for (String notDir : List.of("etc/hosts", "dev/null", "run/fifo", "etc/localtime", "etc/old-file")) {
      assertThat(layer.list(notDir)).as(notDir).isEmpty();
    }
    assertErrno(() -> layer.open("nope"), Errno.ENOENT);
    assertErrno(() -> layer.open("etc/old-file"), Errno.ENOENT);
    assertErrno(() -> layer.open("etc"), Errno.EISDIR);
    assertErrno(() -> layer.open("etc/localtime"), Errno.EINVAL);
    assertErrno(() -> layer.open("run/fifo"), Errno.EINVAL);
    assertErrno(() -> layer.readlink("etc/hosts"), Errno.EINVAL);
    assertErrno(() -> layer.readlink("nope"), Errno.ENOENT);
    assertErrno(() -> layer.xattrs("nope"), Errno.ENOENT);
    assertErrno(() -> layer.xattrs("var/cache"), Errno.ENOENT);
  }

  @Test
  void pathsThatLeaveTheLayerAreRefused() {
    for (String bad : List.of("..", "../etc", "etc/../..", "/etc", "etc/", "etc//hosts", "./etc", "etc/.", "a\0b")) {
      assertThatThrownBy(() -> layer.stat(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> layer.list(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void describesItself() {
    assertThat(layer.describe()).isNotBlank();
  }

  /** Every path the layer holds: entries, whiteouts, implied directories. */
  List<String> allPaths() {
    TreeSet<String> out = new TreeSet<>(fixture.impliedDirs());
    fixture.items().stream().filter(i -> i.kind() != Kind.OPAQUE).forEach(i -> out.add(i.path()));
    return List.copyOf(out);
  }

  static byte[] readAll(FileContent c, int chunk) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer buf = ByteBuffer.allocate(chunk);
    long at = 0;
    int n;
    while ((n = c.read(at, buf.clear())) > 0) {
      out.write(buf.array(), 0, n);
      at += n;
    }
    return out.toByteArray();
  }

  interface Call {
    void run() throws Exception;
  }

  static void assertErrno(Call call, Errno errno) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
  }
}
