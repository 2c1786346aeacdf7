package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.fuse.Mounts;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import dev.strata.union.FileType;
import dev.strata.union.LowerEntry;
import dev.strata.union.LowerLayer;
import dev.strata.union.StoreLayer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A layer of 200,000 entries pulled and mounted by processes whose heap is capped at 48 MiB:
 * memory bounded by design, not by the layer's size. With the index held on the heap (every
 * entry decoded into a list, a map of every path, a tree built at mount) both ran out of memory
 * at this cap. What the mount shows, and every lookup and listing of the layer's mapped index,
 * must be what GNU tar extracts from the layer, which Python's tarfile wrote.
 */
class ManyEntriesTest {
  private static final int DIRECTORIES = 200;
  private static final int FILES = 1000;
  private static final String HEAP = "-Xmx48m";

  @TempDir
  Path dir;

  private Path mountPoint;
  private Process server;

  @AfterEach
  void unmount() throws Exception {
    if (mountPoint != null && Mounts.isFuseMounted(mountPoint)) {
      Mounts.unmount(mountPoint, true);
    }
    if (server != null) {
      server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aLayerOf200000EntriesPullsAndMountsInA48MiBHeapAndShowsWhatTarExtracts() throws Exception {
    Path tar = dir.resolve("layer.tar");
    // Directories of empty files, with a symlink and a hard link in each, and a few whiteouts.
    Commands.run(List.of("python3", "-c", String.join("\n",
        "import sys, tarfile",
        "t = tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT)",
        "def add(name, type=tarfile.REGTYPE, link='', mode=0o644):",
        "    i = tarfile.TarInfo(name); i.type = type; i.linkname = link; i.mode = mode",
        "    i.uid = len(name) % 7; i.mtime = 1700000000; t.addfile(i)",
        "for d in range(" + DIRECTORIES + "):",
        "    add('d%03d' % d, tarfile.DIRTYPE, mode=0o755)",
        "    for f in range(" + FILES + "):",
        "        add('d%03d/f%04d' % (d, f))",
        "    add('d%03d/link' % d, tarfile.SYMTYPE, 'f0001', 0o777)",
        "    add('d%03d/hard' % d, tarfile.LNKTYPE, 'd%03d/f0002' % d)",
        "    add('d%03d/.wh.gone' % d)",
        "t.close()"), tar.toString()));
    OciLayouts.write(dir.resolve("layout"), "many", List.of(Files.readAllBytes(tar)));
    Path store = dir.resolve("store");

    Commands.Result pull = capped(store, "pull", "oci:" + dir.resolve("layout") + ":many", "many");
    assertThat(pull.exit()).as(pull.out() + pull.err()).isZero();

    mountPoint = Files.createDirectory(dir.resolve("mnt"));
    List<String> serve = new ArrayList<>(StrataProcess.command(store, "mount", "--read-only", "many",
        mountPoint.toString(), "--foreground"));
    serve.add(1, HEAP);
    server = new ProcessBuilder(serve).redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile())
        .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!Mounts.isFuseMounted(mountPoint)) {
      assertThat(server.isAlive()).as(Files.readString(dir.resolve("server.log"))).isTrue();
      assertThat(System.nanoTime()).as("mount live within 120 s").isLessThan(deadline);
      Thread.sleep(100);
    }

    Path extracted = Files.createDirectory(dir.resolve("extracted"));
    Commands.run(List.of("tar", "-xf", tar.toString(), "-C", extracted.toString(), "--same-owner",
        "--exclude=*/.wh.*"));
    // Through FUSE, a tenth of the directories: every name the kernel looks up stays an inode it
    // holds, and the server keeps a node for each, which is memory in use, not the layer's size.
    List<String> some = new ArrayList<>();
    for (int d = 0; d < DIRECTORIES; d += 10) {
      some.add(String.format("d%03d", d));
    }
    assertThat(listing(mountPoint, some)).isEqualTo(listing(extracted, some)).hasSize(some.size() * (FILES + 3));
    assertThat(Files.getAttribute(mountPoint.resolve("d010/hard"), "unix:nlink")).isEqualTo(2);
    assertThat(Files.getAttribute(mountPoint.resolve("d010/hard"), "unix:ino"))
        .isEqualTo(Files.getAttribute(mountPoint.resolve("d010/f0002"), "unix:ino"));
    try (var names = Files.list(mountPoint)) {
      assertThat(names.count()).isEqualTo(DIRECTORIES);
    }
    assertThat(server.isAlive()).as(Files.readString(dir.resolve("server.log"))).isTrue();

    // Every entry, looked up and listed through the mapped index as the engine asks for them.
    Store opened = Store.open(store);
    StoredImage image = StoredImage.load(opened, "many");
    try (LowerLayer layer = StoreLayer.open(opened.layers().read(image.config().diffIds().get(0)), opened.objects())) {
      List<String> all = new ArrayList<>();
      walk(layer, "", all);
      all.sort(null);
      assertThat(all).hasSize(DIRECTORIES * (FILES + 3)).isEqualTo(RootListing.of(extracted));
    }
  }

  /** Lists {@code dirs} under {@code root} as {@link RootListing} lists a tree. */
  private static List<String> listing(Path root, List<String> dirs) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("sh", "-c", "cd \"$0\" && exec find \"$@\" "
        + "\\( -type d -printf '%y %m %U %G - %l %p\\n' \\) -o -printf '%y %m %U %G %s %l %p\\n'", root.toString()));
    cmd.addAll(dirs);
    return Commands.run(cmd).lines().sorted().toList();
  }

  /** Appends what {@code dir} of {@code layer} holds, recursively, as {@link RootListing} lines. */
  private static void walk(LowerLayer layer, String dir, List<String> out) throws IOException {
    for (LowerEntry e : layer.list(dir)) {
      String path = dir.isEmpty() ? e.name() : dir + "/" + e.name();
      if (e.type() == FileType.WHITEOUT) {
        continue;
      }
      LowerEntry again = layer.stat(path);
      assertThat(again).as(path).isEqualTo(e);
      String type = switch (e.type()) {
        case DIRECTORY -> "d";
        case SYMLINK -> "l";
        default -> "f";
      };
      String size = e.isDirectory() ? "-" : Long.toString(e.size());
      String link = e.type() == FileType.SYMLINK ? layer.readlink(path) : "";
      out.add(type + " " + Integer.toOctalString(e.mode()) + " " + e.uid() + " " + e.gid() + " " + size + " " + link
          + " " + path);
      if (e.isDirectory()) {
        walk(layer, path, out);
      }
    }
  }

  /** Runs strata in a JVM of its own whose heap is capped. */
  private static Commands.Result capped(Path store, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(StrataProcess.command(store, args));
    cmd.add(1, HEAP);
    return Commands.exec(cmd, java.util.Map.of());
  }
}
