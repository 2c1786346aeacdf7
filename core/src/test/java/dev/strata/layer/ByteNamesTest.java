package dev.strata.layer;

import static dev.strata.layer.TarPeers.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.blob.ContentStore;
import dev.strata.blob.ObjectBatch;
import dev.strata.digest.Digest;
import dev.strata.host.HostDir;
import dev.strata.host.Names;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Names as bytes through a layer tar, both ways, with GNU tar, Python's tarfile and umoci (Go's
 * archive/tar) as the oracles, all run without a locale: every name GNU tar writes, in each of
 * its formats and in every place a tar holds a name (ustar name and prefix, GNU long names and
 * link names, PAX path, linkpath, GNU.sparse.name and SCHILY.xattr keys), is read with exactly
 * the bytes GNU tar lists, and every name Strata writes is read back byte for byte by all three.
 */
class ByteNamesTest {
  @TempDir
  Path dir;

  private static final String FF = Names.decode(new byte[] {(byte) 0xff});
  private static final String LATIN1 = Names.decode(new byte[] {'f', (byte) 0xfc, 'r'}); // "für" in ISO-8859-1
  private static final String DIR = Names.decode(new byte[] {'d', (byte) 0xe9, 'j', (byte) 0xe0});

  /** Names that are not UTF-8, UTF-8 that is not ASCII, controls, and the longest a name may be. */
  private static final List<String> NAMES = List.of(
      FF,
      LATIN1,
      "ü€😀",
      Names.decode(new byte[] {(byte) 0xc3}) + "ü", // a truncated sequence before a valid one
      Names.decode(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}), // an encoded surrogate: not UTF-8
      "back\\slash",
      "line\nbreak\ttab",
      "n".repeat(255),
      "ü".repeat(127), // 254 bytes
      "ü".repeat(127) + "x", // 255 bytes
      FF.repeat(255));

  @ParameterizedTest
  @ValueSource(strings = {"gnu", "oldgnu", "ustar", "posix", "v7"})
  void gnuTarNamesAreReadAsGnuTarReadsThem(String format) throws Exception {
    Path tree = Files.createDirectory(dir.resolve("tree"));
    boolean longNames = format.equals("gnu") || format.equals("oldgnu") || format.equals("posix");
    // A directory with a name of invalid UTF-8 makes paths longer than 100 bytes that are not
    // UTF-8 either: GNU long names, ustar prefixes and PAX paths must all keep their bytes.
    String deep = DIR + "/" + "x".repeat(90);
    try (HostDir root = HostDir.open(tree)) {
      root.mkdir(DIR, 0755);
      root.mkdir(deep, 0755);
      for (String name : NAMES) {
        if (!longNames && Names.length(name) > 100) {
          continue; // ustar and v7 hold at most 100 bytes of a name
        }
        root.createFile(name, 0644);
        if (longNames || format.equals("ustar")) {
          root.createFile(deep + "/" + name, 0644); // ustar: the prefix holds the directories
        }
      }
      root.symlink(LATIN1 + "/../" + FF, "link");
      root.link(LATIN1, root, "hard");
      if (longNames) {
        // Link names past 100 bytes: GNU's ././@LongLink 'K' entries and PAX linkpath records.
        root.symlink(deep + "/" + FF.repeat(40), "long-link");
        root.link(deep + "/" + LATIN1, root, deep + "/hard");
      }
    }
    Path tar = dir.resolve("layer.tar");
    ok(tree, "tar", "--format=" + format, "--sort=name", "-cf", tar.toString(), ".");

    LayerIngest.Result result = ingest(Files.readAllBytes(tar));

    List<String> indexed = result.entries().stream().map(LayerEntry::path).filter(p -> !p.isEmpty()).toList();
    assertThat(shown(indexed)).as("GNU tar's listing, in order").isEqualTo(shown(TarPeers.gnuTarNames(tar)));
    assertThat(shown(indexed)).as("Python's").isEqualTo(shown(TarPeers.pythonNames(tar)));
    // Names.printable in the C locale is GNU tar's escape style there, character for character.
    List<String> escaped = result.entries().stream().filter(e -> !e.path().isEmpty())
        .map(e -> "./" + Names.printable(e.path(), StandardCharsets.US_ASCII) + (e.kind() == EntryKind.DIRECTORY ? "/" : ""))
        .toList();
    assertThat(escaped).isEqualTo(TarPeers.gnuTarListing(tar).subList(1, escaped.size() + 1));
    assertThat(shown(indexed)).as("the test's own names").containsAll(shown(format.equals("v7")
        ? List.of(LATIN1, "line\nbreak\ttab") : List.of(LATIN1, "line\nbreak\ttab", deep + "/" + LATIN1)));
    // The links' targets are what GNU tar makes of them when it extracts the layer.
    Path x = Files.createDirectory(dir.resolve("x"));
    ok(x, "tar", "-xf", tar.toString());
    try (HostDir extracted = HostDir.open(x)) {
      for (LayerEntry e : result.entries()) {
        if (e.kind() == EntryKind.SYMLINK) {
          assertThat(Names.printable(e.linkTarget())).as(Names.printable(e.path()))
              .isEqualTo(Names.printable(extracted.readlink(e.path())));
        } else if (e.kind() == EntryKind.HARDLINK) {
          assertThat(extracted.stat(e.linkTarget()).ino()).as(Names.printable(e.path()))
              .isEqualTo(extracted.stat(e.path()).ino());
        }
      }
    }
    assertThat(result.entries()).filteredOn(e -> e.kind() == EntryKind.SYMLINK).hasSize(longNames ? 2 : 1);
    assertThat(result.entries()).filteredOn(e -> e.kind() == EntryKind.HARDLINK).hasSize(longNames ? 2 : 1);
  }

  @Test
  void xattrNamesAreReadAsTheirBytes() throws Exception {
    Path tree = Files.createDirectory(dir.resolve("tree"));
    List<String> names = List.of("user." + FF, "user." + LATIN1, "user.ü", "user.plain");
    try (HostDir root = HostDir.open(tree)) {
      root.createFile(LATIN1, 0644);
      for (String name : names) {
        root.setxattr(LATIN1, name, Names.encode(name), 0);
      }
    }
    Path tar = dir.resolve("layer.tar");
    // Names cannot be arguments: the JVM encodes them in its locale's charset.
    ok(tree, "tar", "--format=posix", "--xattrs", "--xattrs-include=user.*", "-cf", tar.toString(), ".");

    LayerEntry file = ingest(Files.readAllBytes(tar)).entries().get(1);

    assertThat(shown(file.xattrs().keySet())).containsExactlyInAnyOrderElementsOf(shown(names));
    Path x = Files.createDirectory(dir.resolve("x"));
    ok(x, "tar", "--xattrs", "--xattrs-include=user.*", "-xf", tar.toString());
    try (HostDir extracted = HostDir.open(x)) {
      assertThat(shown(extracted.listxattr(LATIN1))).as("what GNU tar extracts")
          .containsExactlyInAnyOrderElementsOf(shown(file.xattrs().keySet()));
      for (String name : names) {
        assertThat(file.xattrs().get(name).toArray()).isEqualTo(extracted.getxattr(LATIN1, name));
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"gnu", "posix:0.0", "posix:0.1", "posix:1.0"})
  void sparseFilesKeepTheirNamesAndContent(String format) throws Exception {
    Path tree = Files.createDirectory(dir.resolve("tree"));
    try (RandomAccessFile f = new RandomAccessFile(tree.resolve("sparse").toFile(), "rw")) {
      f.seek(1 << 20);
      f.write("data after a hole".getBytes(StandardCharsets.US_ASCII));
    }
    byte[] content = Files.readAllBytes(tree.resolve("sparse"));
    String name = Names.decode(new byte[] {'s', 'p', (byte) 0xe4, 'r', 's', 'e'});
    try (HostDir root = HostDir.open(tree)) {
      root.rename("sparse", root, name, 0);
    }
    String[] f = format.split(":");
    Path tar = dir.resolve("layer.tar");
    List<String> command = new ArrayList<>(List.of("tar", "--format=" + f[0], "--sparse", "-cf", tar.toString()));
    if (f.length > 1) {
      command.add("--sparse-version=" + f[1]);
    }
    command.add(".");
    ok(tree, command.toArray(String[]::new));

    List<LayerEntry> files = ingest(Files.readAllBytes(tar)).entries().stream()
        .filter(e -> e.kind() == EntryKind.FILE).toList();

    assertThat(files).hasSize(1);
    assertThat(shown(List.of(files.get(0).path()))).isEqualTo(shown(List.of(name)))
        .isEqualTo(shown(TarPeers.gnuTarNames(tar)));
    assertThat(files.get(0).size()).isEqualTo(content.length);
    assertThat(files.get(0).object()).isEqualTo(Digest.sha256(content));
  }

  @Test
  void namesStrataWritesReadBackByteForByteInGnuTarPythonAndUmoci() throws Exception {
    LayerTarWriter.Meta meta = new LayerTarWriter.Meta(0644, 0, 0, 1_700_000_000L, 0, new TreeMap<>());
    TreeMap<String, byte[]> xattrs = new TreeMap<>(Map.of("user." + FF, new byte[] {1, (byte) 0xff},
        "user.ü", new byte[] {2}));
    String deep = DIR + "/" + "x".repeat(90);
    String longTarget = deep + "/" + FF.repeat(40);
    List<String> written = new ArrayList<>();
    Path tar = dir.resolve("strata.tar");
    try (LayerTarWriter w = new LayerTarWriter(Files.newOutputStream(tar))) {
      LayerTarWriter.Meta dirMeta = new LayerTarWriter.Meta(0755, 0, 0, 1_700_000_000L, 0, new TreeMap<>());
      w.directory(DIR, dirMeta);
      w.directory(deep, dirMeta);
      written.addAll(List.of(DIR, deep));
      for (String name : NAMES) {
        w.file(DIR + "/" + name, meta, 1, new ByteArrayInputStream(new byte[] {'x'}));
        w.file(deep + "/" + name, meta, 1, new ByteArrayInputStream(new byte[] {'y'}));
        written.addAll(List.of(DIR + "/" + name, deep + "/" + name));
      }
      w.file(LATIN1, new LayerTarWriter.Meta(0644, 0, 0, 1_700_000_000L, 0, xattrs), 0,
          new ByteArrayInputStream(new byte[0]));
      w.symlink("link", meta, LATIN1 + "/" + FF);
      w.symlink("long-link", meta, longTarget);
      w.hardlink("hard", meta, deep + "/" + LATIN1);
      written.addAll(List.of(LATIN1, "link", "long-link", "hard"));
    }
    List<String> expected = shown(written);

    assertThat(shown(TarPeers.gnuTarNames(tar))).as("GNU tar's listing").isEqualTo(expected);
    assertThat(shown(TarPeers.pythonNames(tar))).as("Python's").isEqualTo(expected);
    Path gnu = Files.createDirectory(dir.resolve("gnu"));
    TarPeers.Output extract = TarPeers.run(gnu, "tar", "--xattrs", "--xattrs-include=user.*", "-xf", tar.toString());
    assertThat(extract.exit()).as(extract.err()).isZero();
    // GNU tar 1.34 does not know POSIX's hdrcharset: it says so for each entry that has one.
    assertThat(Arrays.stream(extract.err().split("\\\\n")).filter(l -> !l.isEmpty()).collect(Collectors.toSet()))
        .isSubsetOf("tar: Ignoring unknown extended header keyword 'hdrcharset'");
    Path umoci = TarPeers.umociUnpack(tar, Files.createDirectory(dir.resolve("umoci")));
    for (Path root : List.of(gnu, umoci)) {
      assertThat(shown(TarPeers.find(root))).as("extracted into " + root).containsExactlyInAnyOrderElementsOf(expected);
      try (HostDir tree = HostDir.open(root)) {
        assertThat(Names.printable(tree.readlink("link"))).isEqualTo(Names.printable(LATIN1 + "/" + FF));
        assertThat(Names.printable(tree.readlink("long-link"))).isEqualTo(Names.printable(longTarget));
        assertThat(tree.stat("hard").ino()).isEqualTo(tree.stat(deep + "/" + LATIN1).ino());
        assertThat(tree.getxattr(LATIN1, "user." + FF)).isEqualTo(new byte[] {1, (byte) 0xff});
        assertThat(tree.getxattr(LATIN1, "user.ü")).isEqualTo(new byte[] {2});
      }
    }
    // And Strata reads what it wrote as it wrote it.
    LayerIngest.Result again = ingest(Files.readAllBytes(tar));
    assertThat(shown(again.entries().stream().map(LayerEntry::path).toList())).isEqualTo(expected);
    assertThat(again.entries().stream().filter(e -> e.path().equals(LATIN1)).findFirst().orElseThrow().xattrs())
        .containsOnlyKeys("user." + FF, "user.ü");
  }

  /** Names as messages show them (one to one): a failure report must not carry lone surrogates. */
  private static List<String> shown(Collection<String> names) {
    return names.stream().map(Names::printable).toList();
  }

  private LayerIngest.Result ingest(byte[] tar) throws IOException {
    ContentStore objects = ContentStore.fannedOut(dir.resolve("objects"), dir.resolve("tmp"));
    try (ObjectBatch batch = objects.batch()) {
      LayerIngest.Result result = LayerIngest.ingest(new ByteArrayInputStream(tar), batch, LowerFiles.NONE,
          IngestLimits.DEFAULT);
      batch.commit();
      return result;
    }
  }
}
