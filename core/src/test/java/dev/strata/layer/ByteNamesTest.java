package dev.strata.layer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.blob.ContentStore;
import dev.strata.blob.ObjectBatch;
import dev.strata.host.HostDir;
import dev.strata.host.Names;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Names as bytes through a layer tar, both ways, with GNU tar and Python's tarfile as the
 * oracles: every name GNU tar writes (in each of its formats, in the C locale) is read with
 * exactly its bytes, and every name Strata writes reads back byte for byte in GNU tar and
 * Python, whether or not it is UTF-8.
 */
class ByteNamesTest {
  @TempDir
  Path dir;

  /** Names that are not UTF-8, UTF-8 that is not ASCII, and the longest a name may be. */
  private static final List<String> NAMES = List.of(
      Names.decode(new byte[] {(byte) 0xff}),
      Names.decode(new byte[] {'f', (byte) 0xfc, 'r'}), // "für" in ISO-8859-1
      "ü€😀",
      Names.decode(new byte[] {(byte) 0xc3}) + "ü", // a truncated sequence before a valid one
      "back\\slash",
      "n".repeat(255),
      "ü".repeat(127)); // 254 bytes

  @ParameterizedTest
  @ValueSource(strings = {"gnu", "ustar", "posix", "oldgnu"})
  void gnuTarNamesAreReadAsTheirBytes(String format) throws Exception {
    Path tree = Files.createDirectory(dir.resolve("tree"));
    List<String> expected = new ArrayList<>();
    try (HostDir root = HostDir.open(tree)) {
      // A directory with a name of invalid UTF-8 makes paths longer than 100 bytes that are not
      // UTF-8 either: GNU long names, ustar prefixes and PAX paths must all keep their bytes.
      String deep = Names.decode(new byte[] {'d', (byte) 0xe9, 'j', (byte) 0xe0}) + "/" + "x".repeat(90);
      root.mkdir(Paths.parent(deep), 0755);
      root.mkdir(deep, 0755);
      expected.add(Paths.parent(deep));
      expected.add(deep);
      for (String name : NAMES) {
        if (format.equals("ustar") && Names.length(name) > 100) {
          continue; // ustar holds at most 100 bytes of a name after the prefix
        }
        root.createFile(name, 0644);
        root.createFile(deep + "/" + name, 0644);
        expected.add(name);
        expected.add(deep + "/" + name);
      }
      root.symlink(NAMES.get(1) + "/../" + NAMES.get(0), "link");
      expected.add("link");
    }
    Path tar = dir.resolve("layer.tar");
    run(tree, "env", "-i", "tar", "--format=" + format, "--sort=name", "-cf", tar.toString(), ".");

    LayerIngest.Result result = ingest(Files.readAllBytes(tar));

    TreeSet<String> indexed = new TreeSet<>();
    for (LayerEntry e : result.entries()) {
      if (!e.path().isEmpty()) {
        indexed.add(e.path());
      }
    }
    assertThat(shown(indexed)).containsExactlyInAnyOrderElementsOf(shown(expected));
    assertThat(shown(indexed)).containsExactlyInAnyOrderElementsOf(shown(pythonNames(tar)));
    LayerEntry link = result.entries().stream().filter(e -> e.path().equals("link")).findFirst().orElseThrow();
    assertThat(link.linkTarget()).isEqualTo(NAMES.get(1) + "/../" + NAMES.get(0));
  }

  @Test
  void namesStrataWritesReadBackByteForByte() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LayerTarWriter.Meta meta = new LayerTarWriter.Meta(0644, 0, 0, 1_700_000_000L, 0, new TreeMap<>());
    List<String> written = new ArrayList<>();
    try (LayerTarWriter tar = new LayerTarWriter(out)) {
      String dirName = Names.decode(new byte[] {'d', (byte) 0xe9, 'j', (byte) 0xe0});
      tar.directory(dirName, new LayerTarWriter.Meta(0755, 0, 0, 1_700_000_000L, 0, new TreeMap<>()));
      written.add(dirName);
      for (String name : NAMES) {
        tar.file(dirName + "/" + name, meta, 1, new ByteArrayInputStream(new byte[] {'x'}));
        written.add(dirName + "/" + name);
      }
      tar.symlink("link", meta, NAMES.get(1) + "/" + NAMES.get(0));
      written.add("link");
      tar.whiteout(dirName, NAMES.get(0));
      written.add(dirName + "/.wh." + NAMES.get(0));
    }
    Path tar = dir.resolve("strata.tar");
    Files.write(tar, out.toByteArray());

    assertThat(shown(pythonNames(tar))).as("python").containsExactlyInAnyOrderElementsOf(shown(written));
    // GNU tar, in the C locale, extracts every name with its bytes.
    Path x = Files.createDirectory(dir.resolve("x"));
    run(x, "env", "-i", "tar", "-xf", tar.toString());
    List<String> extracted = new ArrayList<>();
    try (HostDir root = HostDir.open(x)) {
      for (HostDir.Entry e : root.list("")) {
        extracted.add(e.name());
        if (e.type() == HostDir.Entry.DT_DIR) {
          for (HostDir.Entry f : root.list(e.name())) {
            extracted.add(e.name() + "/" + f.name());
          }
        }
      }
      assertThat(root.readlink("link")).isEqualTo(NAMES.get(1) + "/" + NAMES.get(0));
    }
    assertThat(shown(extracted)).as("gnu tar").containsExactlyInAnyOrderElementsOf(shown(written));
    // And Strata reads what it wrote as it wrote it.
    TreeSet<String> indexed = new TreeSet<>();
    for (LayerEntry e : ingest(out.toByteArray()).entries()) {
      indexed.add(e.path()); // a whiteout's path is its entry's, .wh. included
    }
    assertThat(shown(indexed)).as("strata").containsExactlyInAnyOrderElementsOf(shown(written));
  }

  /** Names as messages show them (one to one): a failure report must not carry lone surrogates. */
  private static List<String> shown(java.util.Collection<String> names) {
    return names.stream().map(Names::printable).toList();
  }

  /** The member names Python's tarfile reads, as bytes (surrogateescape, as Names carries them). */
  private List<String> pythonNames(Path tar) throws Exception {
    String script = "import sys, tarfile\n"
        + "with tarfile.open(sys.argv[1], encoding='utf-8', errors='surrogateescape') as t:\n"
        + "    for m in t:\n"
        + "        sys.stdout.buffer.write(m.name.rstrip('/').encode('utf-8', 'surrogateescape') + b'\\0')\n";
    byte[] listing = run(dir, "env", "-i", "python3", "-c", script, tar.toString());
    List<String> names = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < listing.length; i++) {
      if (listing[i] == 0) {
        String n = Names.decode(listing, start, i - start);
        if (n.startsWith("./")) {
          n = n.substring(2);
        }
        if (!n.isEmpty() && !n.equals(".")) {
          names.add(n);
        }
        start = i + 1;
      }
    }
    return names;
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

  private static byte[] run(Path cwd, String... command) throws Exception {
    Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(false).start();
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("%s: %s", String.join(" ", command), err).isZero();
    return out;
  }
}
