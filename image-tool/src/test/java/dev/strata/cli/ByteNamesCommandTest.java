package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.host.HostDir;
import dev.strata.host.Names;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Names that are bytes, not text, through the inspection commands as a shell started by podman
 * or systemd runs them: with an empty environment (no locale, so ASCII) and with a UTF-8
 * locale. The image is made by GNU tar from files whose names have the bytes; what strata
 * prints must name each file unambiguously and printably, and its JSON must give the bytes back.
 */
class ByteNamesCommandTest {
  @TempDir
  Path dir;
  private Path store;

  private static final String FF = Names.decode(new byte[] {(byte) 0xff});
  private static final String LATIN1 = Names.decode(new byte[] {'f', (byte) 0xfc, 'r'});
  private static final String DIR = Names.decode(new byte[] {'d', (byte) 0xe9, 'j', (byte) 0xe0});
  private static final String NEW = Names.decode(new byte[] {'n', (byte) 0xe9, 'w'});

  @BeforeEach
  void image() throws Exception {
    Path one = Files.createDirectory(dir.resolve("one"));
    try (HostDir d = HostDir.open(one)) {
      for (String name : List.of(FF, LATIN1, "ü.txt", "a\\b", "line\nbreak")) {
        d.createFile(name, 0644);
      }
      d.mkdir(DIR, 0755);
      d.createFile(DIR + "/x", 0644);
    }
    Path two = Files.createDirectory(dir.resolve("two"));
    try (HostDir d = HostDir.open(two)) {
      d.createFile(".wh." + FF, 0644);
      d.createFile(NEW, 0644);
    }
    byte[] first = gnuTar(one);
    byte[] second = gnuTar(two);
    Path layout = OciLayouts.write(dir.resolve("layout"), "t", List.of(first, second));
    store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + layout + ":t", "img").assertOk();
  }

  @Test
  void withoutALocaleEveryByteBeyondAsciiIsAnOctalEscape() throws Exception {
    String tree = strata(Map.of(), "tree", "img");
    assertThat(tree).contains("/f\\374r", "/\\303\\274.txt", "/a\\\\b", "/line\\nbreak", "/d\\351j\\340/x",
        "/n\\351w");
    assertThat(tree).doesNotContain("/\\377"); // whited out by the second layer
    String layers = strata(Map.of(), "layers", "img", "--paths");
    assertThat(layers).contains("D /\\377", "A /n\\351w", "A /\\303\\274.txt");
    String diff = strata(Map.of(), "diff", "img@1", "img");
    assertThat(diff).contains("A /n\\351w", "D /\\377");
  }

  @Test
  void inAUtf8LocaleUtf8NamesShowAsThemselves() throws Exception {
    String tree = strata(Map.of("LC_ALL", "C.UTF-8"), "tree", "img");
    assertThat(tree).contains("/ü.txt", "/f\\374r", "/line\\nbreak", "/d\\351j\\340/x");
  }

  @Test
  void jsonIsAsciiAndGivesTheBytesBackToPython() throws Exception {
    for (Map<String, String> env : List.of(Map.<String, String>of(), Map.of("LC_ALL", "C.UTF-8"))) {
      byte[] json = strataBytes(env, "tree", "img", "--json");
      for (byte b : json) {
        assertThat(b).as("a byte of the JSON").isBetween((byte) 0, (byte) 0x7f);
      }
      Path file = Files.write(dir.resolve("tree.json"), json);
      String script = "import json, os, sys\n"
          + "for node in json.load(open(sys.argv[1])):\n"
          + "    sys.stdout.buffer.write(os.fsencode(node['path']) + b'\\0')\n";
      Process python = new ProcessBuilder("python3", "-c", script, file.toString()).start();
      byte[] paths = python.getInputStream().readAllBytes();
      assertThat(python.waitFor()).isZero();
      Set<String> names = new TreeSet<>();
      int start = 0;
      for (int i = 0; i < paths.length; i++) {
        if (paths[i] == 0) {
          names.add(Names.decode(paths, start, i - start));
          start = i + 1;
        }
      }
      assertThat(names.stream().map(Names::printable))
          .contains(Names.printable(LATIN1), "ü.txt", "a\\\\b", "line\\nbreak", Names.printable(DIR + "/x"),
              Names.printable(NEW));
    }
  }

  /** Runs strata as its own process with exactly {@code env} (PATH aside); returns stdout. */
  private String strata(Map<String, String> env, String... args) throws Exception {
    return new String(strataBytes(env, args), StandardCharsets.UTF_8);
  }

  private byte[] strataBytes(Map<String, String> env, String... args) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(StrataProcess.command(store, args));
    pb.environment().clear();
    pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    pb.environment().putAll(env);
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process p = pb.start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).as("strata %s", String.join(" ", args)).isZero();
    return out;
  }

  /** A layer tar of {@code tree} made by GNU tar in the C locale, in its default (GNU) format. */
  private byte[] gnuTar(Path tree) throws Exception {
    Path tar = dir.resolve(tree.getFileName() + ".tar");
    List<String> cmd = new ArrayList<>(List.of("env", "-i", "tar", "--sort=name", "-C", tree.toString(), "-cf",
        tar.toString(), "."));
    Commands.run(cmd);
    return Files.readAllBytes(tar);
  }
}
