package dev.strata.cli;

import static dev.strata.layer.TarPeers.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.host.HostDir;
import dev.strata.host.Names;
import dev.strata.layer.TarPeers;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Names that are bytes, not text, through the inspection commands as a shell started by podman
 * or systemd runs them: with an empty environment (no locale, so ASCII) and with a UTF-8
 * locale. GNU tar makes the layers from files whose names have the bytes, umoci makes the image
 * (with a created-by line that would drive a terminal); what strata prints must name each file
 * unambiguously and printably, as GNU tar shows names, and its JSON must give the bytes back.
 */
class ByteNamesCommandTest {
  @TempDir
  Path dir;
  private Path store;

  private static final String FF = Names.decode(new byte[] {(byte) 0xff});
  private static final String LATIN1 = Names.decode(new byte[] {'f', (byte) 0xfc, 'r'});
  private static final String DIR = Names.decode(new byte[] {'d', (byte) 0xe9, 'j', (byte) 0xe0});
  private static final String NEW = Names.decode(new byte[] {'n', (byte) 0xe9, 'w'});
  /** Clears the screen and retitles the terminal, if a terminal is given it as it is. */
  private static final String CREATED_BY = "RUN echo \u001b[2J\u001b]0;owned\u0007 \u00fc";
  private static final List<Map<String, String>> LOCALES = List.of(Map.of(), Map.of("LC_ALL", "C.UTF-8"));

  @BeforeEach
  void image() throws Exception {
    Path one = Files.createDirectory(dir.resolve("one"));
    try (HostDir d = HostDir.open(one)) {
      for (String name : List.of(FF, LATIN1, "ü.txt", "a\\b", "line\nbreak")) {
        d.createFile(name, 0644);
      }
      d.mkdir(DIR, 0755);
      d.createFile(DIR + "/x", 0644);
      d.symlink(LATIN1, "lnk");
    }
    Path two = Files.createDirectory(dir.resolve("two"));
    try (HostDir d = HostDir.open(two)) {
      d.createFile(".wh." + FF, 0644);
      d.createFile(NEW, 0644);
    }
    Path layout = dir.resolve("layout");
    ok(dir, "umoci", "init", "--layout", layout.toString());
    ok(dir, "umoci", "new", "--image", layout + ":t");
    for (Path tree : List.of(one, two)) {
      Path tar = dir.resolve(tree.getFileName() + ".tar");
      ok(tree, "tar", "--sort=name", "-cf", tar.toString(), ".");
      ok(dir, "umoci", "raw", "add-layer", "--image", layout + ":t", "--history.created_by", CREATED_BY,
          tar.toString());
    }
    store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + layout + ":t", "img").assertOk();
  }

  @Test
  void withoutALocaleEveryByteBeyondAsciiIsAnOctalEscape() throws Exception {
    String tree = ascii(strata(Map.of(), "tree", "img"));
    assertThat(tree).contains("/f\\374r", "/\\303\\274.txt", "/a\\\\b", "/line\\nbreak", "/d\\351j\\340/x",
        "/n\\351w", "/lnk -> f\\374r");
    assertThat(tree).doesNotContain("/\\377"); // whited out by the second layer
    String layers = ascii(strata(Map.of(), "layers", "img", "--paths"));
    assertThat(layers).contains("D /\\377", "A /n\\351w", "A /\\303\\274.txt", "RUN echo \\033[2J\\033]0;owned\\a");
    String diff = ascii(strata(Map.of(), "diff", "img@1", "img"));
    assertThat(diff).contains("A /n\\351w", "D /\\377");
    String history = ascii(strata(Map.of(), "history", "img", "--no-trunc"));
    assertThat(history).contains("RUN echo \\033[2J\\033]0;owned\\a \\303\\274");
  }

  @Test
  void inAUtf8LocaleUtf8NamesShowAsThemselvesAndControlsStillDoNot() throws Exception {
    Map<String, String> utf8 = Map.of("LC_ALL", "C.UTF-8");
    String tree = new String(strata(utf8, "tree", "img"), StandardCharsets.UTF_8);
    assertThat(tree).contains("/ü.txt", "/f\\374r", "/line\\nbreak", "/d\\351j\\340/x");
    String history = new String(strata(utf8, "history", "img", "--no-trunc"), StandardCharsets.UTF_8);
    assertThat(history).contains("RUN echo \\033[2J\\033]0;owned\\a ü").doesNotContain("\u001b");
  }

  @Test
  void jsonIsUtf8InEveryLocaleAndGivesTheBytesBackToPython() throws Exception {
    Map<List<String>, Set<String>> expected = Map.of(
        List.of("tree", "img", "--json"),
        Set.of(LATIN1, "ü.txt", "a\\b", "line\nbreak", DIR, DIR + "/x", NEW, "lnk"),
        List.of("layers", "img", "--paths", "--json"),
        Set.of(FF, LATIN1, "ü.txt", "a\\b", "line\nbreak", DIR + "/x", NEW, "lnk"),
        List.of("diff", "img@1", "img", "--json"),
        Set.of(FF, NEW));
    for (Map.Entry<List<String>, Set<String>> command : expected.entrySet()) {
      String[] args = command.getKey().toArray(String[]::new);
      byte[] json = strata(Map.of(), args);
      assertThat(strata(Map.of("LC_ALL", "C.UTF-8"), args)).as("the same bytes in any locale").isEqualTo(json);
      String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(json)).toString();
      assertThat(text).contains("\\udc").doesNotContain("\\uDC");
      Path file = Files.write(dir.resolve("out.json"), json);
      assertThat(shown(pythonPaths(file))).as(String.join(" ", args)).containsAll(shown(command.getValue()));
    }
    byte[] tree = strata(Map.of(), "tree", "img", "--json");
    assertThat(new String(tree, StandardCharsets.UTF_8)).contains("\"ü.txt\"", "\"f\\udcfcr\"", "\"line\\nbreak\"");
    assertThat(shown(pythonPaths(Files.write(dir.resolve("tree.json"), tree)))).doesNotContain(Names.printable(FF));
  }

  @Test
  void aPathArgumentIsTakenAsItsBytes() throws Exception {
    // The JVM decodes arguments in the locale's charset (with none, every byte beyond ASCII is
    // U+FFFD); the shell passes the bytes the test cannot: printf makes them.
    List<String> command = new ArrayList<>(List.of("sh", "-c", "exec \"$@\" \"$(printf \"$PICK\")\"", "sh"));
    command.addAll(StrataProcess.command(store, "tree", "img"));
    for (Map<String, String> locale : LOCALES) {
      Map<String, String> env = new HashMap<>(locale);
      env.put("PICK", "/d\\351j\\340");
      String tree = new String(run(env, command), StandardCharsets.UTF_8);
      assertThat(tree).contains("/d\\351j\\340/x").doesNotContain("f\\374r");
      env.put("PICK", "/\\303\\274.txt");
      assertThat(new String(run(env, command), StandardCharsets.UTF_8)).contains(".txt").doesNotContain("f\\374r");
    }
  }

  /** The paths a JSON output names (path, linkTarget and the *Paths lists), as Python reads them. */
  private List<String> pythonPaths(Path json) throws Exception {
    String script = "import json, os, sys\n"
        + "def walk(v, key=None):\n"
        + "    if isinstance(v, dict):\n"
        + "        for k, x in v.items(): walk(x, k)\n"
        + "    elif isinstance(v, list):\n"
        + "        for x in v: walk(x, key)\n"
        + "    elif isinstance(v, str) and (key in ('path', 'linkTarget') or (key or '').endswith('Paths')):\n"
        + "        sys.stdout.buffer.write(os.fsencode(v) + b'\\0')\n"
        + "walk(json.load(open(sys.argv[1], encoding='utf-8')))\n";
    return TarPeers.split(ok(dir, "python3", "-c", script, json.toString()));
  }

  private static List<String> shown(java.util.Collection<String> names) {
    return names.stream().map(Names::printable).toList();
  }

  /** Returns {@code out} as text, requiring every byte to be ASCII. */
  private static String ascii(byte[] out) {
    for (byte b : out) {
      assertThat(b).as("a byte of the output").isBetween((byte) 0, (byte) 0x7f);
    }
    return new String(out, StandardCharsets.US_ASCII);
  }

  /** Runs strata as its own process with exactly {@code env} (PATH aside); returns stdout. */
  private byte[] strata(Map<String, String> env, String... args) throws Exception {
    return run(env, StrataProcess.command(store, args));
  }

  private byte[] run(Map<String, String> env, List<String> command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().clear();
    pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    pb.environment().putAll(env);
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process p = pb.start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).as("%s", command).isZero();
    return out;
  }
}
