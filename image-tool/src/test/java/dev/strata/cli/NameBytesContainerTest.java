package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.fuse.Mounts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Names that are bytes, through the container path: an image whose layer GNU tar made from such
 * names (bytes 0x80..0xff, invalid UTF-8, 255-byte names, newline, backslash) mounted by
 * {@code strata mount} and run by {@code strata run}, the container changing names of its own,
 * {@code strata commit} of it; the committed layer read back by GNU tar and umoci. Every strata
 * process runs with an empty environment (no locale), as a service manager starts it; every
 * name is compared as bytes.
 */
class NameBytesContainerTest {
  /** Python that makes the names under {@code sys.argv[1]}/names. */
  private static final String MAKE_NAMES = """
      import os, sys
      r = os.path.join(os.fsencode(sys.argv[1]), b'names')
      os.makedirs(r)
      def mk(n, content=None):
          with open(os.path.join(r, n), 'wb') as f:
              f.write(n if content is None else content)
      for i in range(0x80, 0x100):
          mk(b'b' + bytes([i]))
      for n in [bytes(range(0x80, 0x100)), b'\\xc3(', b'\\xed\\xa0\\x80', b'\\xc0\\xaf', b'\\xf4\\x90\\x80\\x80',
                'ü.txt'.encode(), b'\\xff' * 255, 'ü'.encode() * 127 + b'x', b'line\\nbreak', b'a\\\\b', b'f\\xfcr']:
          mk(n)
      os.mkdir(os.path.join(r, b'd\\xe9j\\xe0'))
      mk(b'd\\xe9j\\xe0/\\xfe')
      os.symlink(b'target\\xfe\\x80', os.path.join(r, b'sl\\xff'))
      """;

  /** Python that prints every path under {@code sys.argv[1]} as bytes' repr, one a line, sorted; symlinks with their targets. */
  private static final String LIST = """
      import os, sys
      root = os.fsencode(sys.argv[1])
      out = []
      for d, dirs, files in os.walk(root):
          for n in dirs + files:
              p = os.path.join(d, n)
              rel = os.path.relpath(p, root)
              out.append(repr(rel) + (' -> ' + repr(os.readlink(p)) if os.path.islink(p) else ''))
      print('\\n'.join(sorted(out)))
      """;

  /**
   * What the container does in /names, with busybox's printf making the bytes: writes new
   * names, renames and removes lower ones, makes a directory and a symlink, and prints the
   * renamed lower file (its content is its old name).
   */
  private static final String SCRIPT = String.join("\n",
      "set -e",
      "cd /names",
      "n() { printf \"$1\"; }",
      "echo new > \"$(n 'new\\377')\"",
      "echo lone > \"$(n '\\303n')\"",
      "echo utf8 > \"$(n '\\303\\274-new')\"",
      "echo nl > \"$(n 'n\\nl')\"",
      "echo bs > \"$(n 'b\\\\s')\"",
      "echo long > \"$(n '" + "\\376".repeat(255) + "')\"",
      "mv \"$(n 'f\\374r')\" \"$(n 'moved\\240')\"",
      "rm \"$(n '\\303(')\" \"$(n 'b\\200')\"",
      "mkdir \"$(n 'dir\\240')\"",
      "echo in > \"$(n 'dir\\240/\\260')\"",
      "ln -s \"$(n '\\377/target')\" \"$(n 'link\\300')\"",
      "od -An -c \"$(n 'moved\\240')\" | tr -s ' '");

  @TempDir Path dir;
  private final List<Path> mounts = new ArrayList<>();

  @AfterEach
  void unmountLeftovers() throws IOException {
    for (Path mp : mounts) {
      if (Mounts.at(mp).isPresent()) {
        Mounts.unmount(mp, true);
      }
    }
  }

  @Test
  void namesGoThroughMountRunAndCommitAsBytes() throws Exception {
    // The image: the tiny busybox image and a layer GNU tar makes, in the C locale, of the names.
    Path tree = Files.createDirectories(dir.resolve("tree"));
    python(MAKE_NAMES, tree.toString());
    Path layer = dir.resolve("names.tar");
    Commands.run(List.of("env", "-i", "tar", "--sort=name", "--format=posix", "-C", tree.toString(), "-cf",
        layer.toString(), "names"));
    Path layout = dir.resolve("layout");
    Commands.run(List.of("cp", "-a", TestImages.tiny().toString(), layout.toString()));
    Commands.run(List.of("umoci", "raw", "add-layer", "--image", layout + ":3layer", "--tag", "names",
        layer.toString()));
    Path store = dir.resolve("store");
    strata(store, "pull", "oci:" + layout + ":names", "names");
    String source = python(LIST, tree.resolve("names").toString());
    assertThat(source.lines()).hasSize(128 + 11 + 3);

    // strata mount: the merged tree holds the names as GNU tar wrote them.
    Path mp = Files.createDirectories(dir.resolve("mnt"));
    mounts.add(mp);
    strata(store, "mount", "--read-only", "names", mp.toString());
    String mounted;
    try {
      mounted = python(LIST, mp.resolve("names").toString());
    } finally {
      strata(store, "umount", mp.toString());
    }
    assertThat(mounted).isEqualTo(source);

    // strata run: a shell in the container reads a lower name and changes names; commit.
    String out = strata(store, "run", "--name", "c", "names", "--", "/bin/sh", "-c", SCRIPT);
    assertThat(out).contains(" f 374 r");
    strata(store, "commit", "c", "names-changed");
    Path pushed = dir.resolve("pushed");
    strata(store, "push", "names-changed", "oci:" + pushed + ":changed");

    // GNU tar reads the committed layer: its names, whiteouts and the symlink's target, as bytes.
    Path extracted = Files.createDirectories(dir.resolve("extracted"));
    Commands.run(List.of("env", "-i", "tar", "-xzf", topLayer(pushed).toString(), "-C", extracted.toString()));
    // dev, proc and sys: the image has none, and runc makes its mount points in the container's
    // root, as it does under podman, whose commit keeps them too.
    String expectedLayer = String.join("\n", List.of(
        "b'dev'",
        "b'proc'",
        "b'sys'",
        "b'names'",
        "b'names/.wh.b\\x80'",
        "b'names/.wh.f\\xfcr'",
        "b'names/.wh.\\xc3('",
        "b'names/\\xc3n'",
        "b'names/b\\\\s'",
        "b'names/dir\\xa0'",
        "b'names/dir\\xa0/\\xb0'",
        "b'names/link\\xc0' -> b'\\xff/target'",
        "b'names/moved\\xa0'",
        "b'names/n\\nl'",
        "b'names/new\\xff'",
        "b'names/\\xc3\\xbc-new'",
        "b'names/" + "\\xfe".repeat(255) + "'"));
    assertThat(python(LIST, extracted.toString()).lines().sorted().toList())
        .containsExactlyElementsOf(expectedLayer.lines().sorted().toList());

    // umoci unpacks the committed image: the tree strata's container left, name for name.
    Path bundle = dir.resolve("bundle");
    Commands.run(List.of("umoci", "unpack", "--image", pushed + ":changed", bundle.toString()));
    Path after = Files.createDirectories(dir.resolve("after"));
    python(MAKE_NAMES, after.toString());
    python("""
        import os, sys
        r = os.path.join(os.fsencode(sys.argv[1]), b'names')
        def mk(n, content):
            with open(os.path.join(r, n), 'wb') as f:
                f.write(content)
        for n, c in [(b'new\\xff', b'new\\n'), (b'\\xc3n', b'lone\\n'), ('ü-new'.encode(), b'utf8\\n'),
                     (b'n\\nl', b'nl\\n'), (b'b\\\\s', b'bs\\n'), (b'\\xfe' * 255, b'long\\n')]:
            mk(n, c)
        os.rename(os.path.join(r, b'f\\xfcr'), os.path.join(r, b'moved\\xa0'))
        os.unlink(os.path.join(r, b'\\xc3('))
        os.unlink(os.path.join(r, b'b\\x80'))
        os.mkdir(os.path.join(r, b'dir\\xa0'))
        mk(b'dir\\xa0/\\xb0', b'in\\n')
        os.symlink(b'\\xff/target', os.path.join(r, b'link\\xc0'))
        """, after.toString());
    assertThat(python(LIST, bundle.resolve("rootfs/names").toString()))
        .isEqualTo(python(LIST, after.resolve("names").toString()));
  }

  /** The last layer blob of the image tagged in the OCI layout {@code layout}. */
  private static Path topLayer(Path layout) throws Exception {
    String digest = python("""
        import json, os, sys
        d = sys.argv[1]
        def blob(digest):
            return os.path.join(d, 'blobs', *digest.split(':'))
        index = json.load(open(os.path.join(d, 'index.json')))
        manifest = json.load(open(blob(index['manifests'][0]['digest'])))
        print(blob(manifest['layers'][-1]['digest']))
        """, layout.toString());
    return Path.of(digest.strip());
  }

  /** Runs python3 with an empty environment; its stdout. */
  private static String python(String program, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", "-c", program));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().clear();
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  /** Runs strata as its own process with an empty environment (PATH aside, for runc); its output. */
  private static String strata(Path store, String... args) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(StrataProcess.command(store, args)).redirectErrorStream(true);
    pb.environment().clear();
    pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as("strata %s: %s", String.join(" ", args), out).isZero();
    return out;
  }
}
