package dev.strata.union;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.strata.blob.ObjectBatch;
import dev.strata.layer.Bytes;
import dev.strata.layer.IngestLimits;
import dev.strata.layer.LayerIndex;
import dev.strata.layer.LayerIngest;
import dev.strata.layer.LowerFiles;
import dev.strata.layer.Paths;
import dev.strata.layer.TarBuilder;
import dev.strata.layout.Store;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * One logical layer, written two ways: as a layer tar (for the store) and extracted into a host
 * directory in kernel overlay format (char 0/0 whiteouts, an opaque xattr), with what every
 * lower layer must say about it.
 */
final class LayerFixture {
  /** A security.capability v2 value with bytes >= 0x80, NUL and '\n'. */
  static final byte[] CAPABILITY = {
      0x01, 0x00, 0x00, 0x02, 0x00, 0x04, 0x20, (byte) 0x80, 0x00, 0x00, 0x00, 0x00,
      (byte) 0xff, (byte) 0xfe, 0x0a, 0x3d, (byte) 0xc3, 0x28, 0x00, 0x00};

  enum Kind { DIR, FILE, SYMLINK, HARDLINK, FIFO, CHAR, WHITEOUT, OPAQUE }

  /** One entry of the layer; for WHITEOUT the path deleted, for OPAQUE the directory hidden. */
  record Item(String path, Kind kind, int mode, long uid, long gid, Instant mtime, byte[] content, String link,
      int major, int minor, ImmutableMap<String, Bytes> xattrs) {}

  private final List<Item> items = new ArrayList<>();

  /** The layer the conformance suite reads. */
  static LayerFixture standard() {
    Random random = new Random(42);
    LayerFixture f = new LayerFixture();
    f.dir("etc", 0755, Instant.ofEpochSecond(1_690_000_000L, 500_000_000));
    f.add(new Item("etc/hosts", Kind.FILE, 0644, 1000, 1000, Instant.ofEpochSecond(1_700_000_000L, 123_456_789),
        "127.0.0.1 localhost\n".getBytes(UTF_8), null, 0, 0,
        ImmutableMap.of("user.foo", Bytes.copyOf("bar".getBytes(UTF_8)), "security.capability",
            Bytes.copyOf(CAPABILITY))));
    f.file("etc/empty", 0600, new byte[0]);
    f.add(new Item("etc/old-file", Kind.WHITEOUT, 0644, 0, 0, TarBuilder.DEFAULT_MTIME, null, null, 0, 0,
        ImmutableMap.of()));
    f.symlink("etc/localtime", "/usr/share/zoneinfo/UTC", Instant.ofEpochSecond(1_600_000_000L, 987_654_321));
    f.dir("usr", 0755, TarBuilder.DEFAULT_MTIME);
    f.dir("usr/bin", 0711, Instant.ofEpochSecond(1_650_000_000L));
    f.add(new Item("usr/bin/su", Kind.FILE, 04755, 1000, 1000, Instant.ofEpochSecond(1_700_000_001L, 1),
        bytes(random, 3000), null, 0, 0, ImmutableMap.of()));
    f.add(new Item("usr/bin/su-link", Kind.HARDLINK, 04755, 1000, 1000, Instant.ofEpochSecond(1_700_000_001L, 1), null,
        "usr/bin/su", 0, 0, ImmutableMap.of()));
    f.file("usr/bin/big", 0755, bytes(random, 200 * 1024 + 17));
    f.symlink("usr/bin/dangling", "../nowhere/x", TarBuilder.DEFAULT_MTIME);
    f.dir("usr/lib", 0755, TarBuilder.DEFAULT_MTIME);
    f.file("usr/lib/libx.so", 0644, bytes(random, 40_000));
    f.file("usr/lib/exact64k", 0644, bytes(random, 64 * 1024));
    f.symlink("usr/lib/libx.so.1", "libx.so", TarBuilder.DEFAULT_MTIME);
    f.dir("run", 01777, TarBuilder.DEFAULT_MTIME);
    f.add(new Item("run/fifo", Kind.FIFO, 0620, 0, 5, Instant.ofEpochSecond(1_700_000_002L, 250_000_000), null, null,
        0, 0, ImmutableMap.of()));
    f.dir("dev", 0755, TarBuilder.DEFAULT_MTIME);
    f.add(new Item("dev/null", Kind.CHAR, 0666, 0, 0, TarBuilder.DEFAULT_MTIME, null, null, 1, 3, ImmutableMap.of()));
    f.dir("var", 0755, TarBuilder.DEFAULT_MTIME);
    f.add(new Item("var/cache", Kind.WHITEOUT, 0644, 0, 0, TarBuilder.DEFAULT_MTIME, null, null, 0, 0,
        ImmutableMap.of()));
    f.dir("srv", 0750, Instant.ofEpochSecond(1_650_000_000L, 42));
    f.add(new Item("srv", Kind.OPAQUE, 0644, 0, 0, TarBuilder.DEFAULT_MTIME, null, null, 0, 0, ImmutableMap.of()));
    f.file("srv/new.txt", 0644, "new\n".getBytes(UTF_8));
    f.file("implied/deeper/file.txt", 0644, "deep\n".getBytes(UTF_8));
    return f;
  }

  ImmutableList<Item> items() {
    return ImmutableList.copyOf(items);
  }

  /** Returns the item at {@code path} that is not an opaque marker, or null. */
  Item item(String path) {
    return items.stream().filter(i -> i.path.equals(path) && i.kind != Kind.OPAQUE).findFirst().orElse(null);
  }

  /** Returns whether {@code dir} is made opaque by this layer. */
  boolean opaque(String dir) {
    return items.stream().anyMatch(i -> i.path.equals(dir) && i.kind == Kind.OPAQUE);
  }

  /** Returns the directories the layer holds only because entries lie in them, the root included. */
  TreeSet<String> impliedDirs() {
    TreeSet<String> out = new TreeSet<>();
    for (Item i : items) {
      for (String p = i.path; !p.isEmpty(); ) {
        p = Paths.parent(p);
        Item at = item(p);
        if (at == null) {
          out.add(p);
        }
      }
    }
    return out;
  }

  /** Returns every directory: the listed ones and the implied ones. */
  TreeSet<String> dirs() {
    TreeSet<String> out = impliedDirs();
    items.stream().filter(i -> i.kind == Kind.DIR).forEach(i -> out.add(i.path));
    return out;
  }

  /** Returns "name:TYPE" for everything the layer shows in {@code dir}, whiteouts included. */
  TreeSet<String> listing(String dir) {
    TreeSet<String> out = new TreeSet<>();
    for (Item i : items) {
      if (i.kind != Kind.OPAQUE && Paths.parent(i.path).equals(dir) && !i.path.isEmpty()) {
        out.add(Paths.name(i.path) + ":" + type(i.kind));
      }
    }
    for (String d : impliedDirs()) {
      if (!d.isEmpty() && Paths.parent(d).equals(dir)) {
        out.add(Paths.name(d) + ":" + FileType.DIRECTORY);
      }
    }
    return out;
  }

  static FileType type(Kind kind) {
    return switch (kind) {
      case DIR -> FileType.DIRECTORY;
      case FILE, HARDLINK -> FileType.REGULAR;
      case SYMLINK -> FileType.SYMLINK;
      case FIFO -> FileType.FIFO;
      case CHAR -> FileType.CHAR_DEVICE;
      case WHITEOUT -> FileType.WHITEOUT;
      case OPAQUE -> throw new IllegalArgumentException("an opaque marker is no entry");
    };
  }

  /** Returns the content of the regular file at {@code path}, following a hard link to its target. */
  byte[] content(String path) {
    Item i = item(path);
    return i.kind == Kind.HARDLINK ? item(i.link).content : i.content;
  }

  /** Returns the layer as a tar. */
  byte[] toTar() {
    TarBuilder tar = new TarBuilder();
    for (Item i : items) {
      if (i.kind != Kind.WHITEOUT && i.kind != Kind.OPAQUE) {
        tar.mode(i.mode).owner(i.uid, i.gid, "", "");
        if (i.mtime.getNano() == 0) {
          tar.mtime(i.mtime);
        } else {
          // commons-compress writes sub-second times to 100 ns; all nine digits go by hand.
          tar.mtime(i.mtime).paxRecord("mtime", seconds(i.mtime));
        }
        i.xattrs.forEach((k, v) -> tar.xattr(k, v.toArray()));
      }
      switch (i.kind) {
        case DIR -> tar.dir(i.path);
        case FILE -> tar.file(i.path, i.content);
        case SYMLINK -> tar.symlink(i.path, i.link);
        case HARDLINK -> tar.hardlink(i.path, i.link);
        case FIFO -> tar.fifo(i.path);
        case CHAR -> tar.charDevice(i.path, i.major, i.minor);
        case WHITEOUT -> tar.whiteout(i.path);
        case OPAQUE -> tar.opaque(i.path);
      }
    }
    return tar.toBytes();
  }

  /** Ingests the layer into {@code store} as a pull does, and returns its index. */
  LayerIndex ingest(Store store) throws IOException {
    return ingest(store, toTar(), LowerFiles.NONE);
  }

  /** Ingests {@code tar} into {@code store} as a pull does, and returns its index. */
  static LayerIndex ingest(Store store, byte[] tar, LowerFiles lower) throws IOException {
    try (ObjectBatch objects = store.objects().batch()) {
      LayerIngest.Result result = LayerIngest.ingest(new ByteArrayInputStream(tar), objects, lower,
          IngestLimits.DEFAULT);
      objects.commit();
      return result.index();
    }
  }

  /**
   * Extracts the layer into {@code root} as the kernel's overlay would hold it: whiteouts as char
   * 0/0 devices, the opaque directory marked with {@code overlayPrefix + "opaque"} = "y". Needs
   * root (mknod, chown) and setfattr; one shell runs every command that java.nio cannot.
   */
  void extract(Path root, String overlayPrefix) throws IOException, InterruptedException {
    StringBuilder script = new StringBuilder("set -e\n");
    for (Item i : items) {
      Path p = root.resolve(i.path);
      if (i.kind != Kind.OPAQUE) {
        Files.createDirectories(p.getParent());
      }
      String q = quote(p);
      switch (i.kind) {
        case DIR -> Files.createDirectory(p);
        case FILE -> Files.write(p, i.content);
        case SYMLINK -> Files.createSymbolicLink(p, Path.of(i.link));
        case HARDLINK -> Files.createLink(p, root.resolve(i.link));
        case FIFO -> script.append("mknod ").append(q).append(" p\n");
        case CHAR -> script.append("mknod ").append(q).append(" c ").append(i.major).append(' ').append(i.minor)
            .append('\n');
        case WHITEOUT -> script.append("mknod ").append(q).append(" c 0 0\n");
        case OPAQUE -> script.append("setfattr -n ").append(overlayPrefix).append("opaque -v y ").append(q)
            .append('\n');
      }
      if (i.kind == Kind.WHITEOUT || i.kind == Kind.OPAQUE || i.kind == Kind.HARDLINK) {
        continue;
      }
      // Owner first: chown clears setuid bits and security.capability.
      script.append("chown -h ").append(i.uid).append(':').append(i.gid).append(' ').append(q).append('\n');
      if (i.kind != Kind.SYMLINK) {
        script.append("chmod ").append(Integer.toOctalString(i.mode)).append(' ').append(q).append('\n');
      }
      i.xattrs.forEach((k, v) -> script.append("setfattr -h -n ").append(k).append(" -v 0x")
          .append(HexFormat.of().formatHex(v.toArray())).append(' ').append(q).append('\n'));
      if (i.kind != Kind.DIR) {
        script.append(touch(i.mtime, q));
      }
    }
    // Directories last, deepest first: every entry made inside one changes its mtime.
    items.stream().filter(i -> i.kind == Kind.DIR).sorted(Comparator.comparing((Item i) -> i.path).reversed())
        .forEach(i -> script.append(touch(i.mtime, quote(root.resolve(i.path)))));
    Process sh = new ProcessBuilder("sh", "-c", script.toString()).redirectErrorStream(true).start();
    String output = new String(sh.getInputStream().readAllBytes(), UTF_8);
    if (sh.waitFor() != 0) {
      throw new IOException("extracting the fixture failed: " + output + "\nscript:\n" + script);
    }
  }

  private static String touch(Instant t, String quoted) {
    return "touch -h -d @" + seconds(t) + " " + quoted + "\n";
  }

  /** Returns "SECONDS.NANOSECONDS", all nine digits. */
  private static String seconds(Instant t) {
    return t.getEpochSecond() + "." + String.format("%09d", t.getNano());
  }

  private static String quote(Path p) {
    return "'" + p.toString().replace("'", "'\\''") + "'";
  }

  private void dir(String path, int mode, Instant mtime) {
    add(new Item(path, Kind.DIR, mode, 0, 0, mtime, null, null, 0, 0, ImmutableMap.of()));
  }

  private void file(String path, int mode, byte[] content) {
    add(new Item(path, Kind.FILE, mode, 0, 0, TarBuilder.DEFAULT_MTIME, content, null, 0, 0, ImmutableMap.of()));
  }

  private void symlink(String path, String target, Instant mtime) {
    add(new Item(path, Kind.SYMLINK, 0777, 0, 0, mtime, null, target, 0, 0, ImmutableMap.of()));
  }

  private void add(Item item) {
    items.add(item);
  }

  private static byte[] bytes(Random random, int size) {
    byte[] b = new byte[size];
    random.nextBytes(b);
    return b;
  }

  /** Returns {@code map} without the names {@code shows} leaves out. */
  static Map<String, Bytes> visible(Map<String, Bytes> map, Predicate<String> shows) {
    Map<String, Bytes> out = new LinkedHashMap<>();
    map.forEach((k, v) -> {
      if (shows.test(k)) {
        out.put(k, v);
      }
    });
    return out;
  }
}
