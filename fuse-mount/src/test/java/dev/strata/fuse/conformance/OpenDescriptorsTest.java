package dev.strata.fuse.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.strata.fuse.TestHost;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Descriptors held while their names go: each scenario of descriptors.py opens a file or
 * directory, removes its name (unlink, a rename over it, rmdir, its directory's removal), and
 * then works through the descriptor alone (fstat, read, write, ftruncate, fchmod, fchown,
 * futimens, f*xattr, fsync, getdents, *at calls), for files only the upper holds, copied-up,
 * lower-only and hard-linked ones, as root and as uid 1000. The same script runs on kernel
 * overlayfs and on the FUSE mount under test over the same lowers, and the two traces must be
 * equal line for line: the kernel is the oracle. After the unmount the two uppers must hold
 * the same names, and the FUSE mount's work directory nothing: a removed file lives on in no
 * directory, so neither a commit nor the next mount finds it.
 */
class OpenDescriptorsTest {
  @TempDir
  Path dir;
  private final List<Runnable> unmounts = new ArrayList<>();

  /** The scenarios, each a branch of descriptors.py. */
  @ParameterizedTest
  @ValueSource(strings = {"new_file", "new_file_in_removed_directory", "new_hard_links", "o_path_descriptor",
      "lower_read_only", "lower_read_write", "copied_up_then_opened_read_only", "lower_reopened_for_writing",
      "lower_name_made_again", "lower_in_removed_directory", "lower_read_write_in_removed_directory",
      "lower_in_renamed_directory", "metacopy_then_write", "two_descriptors", "renamed_over",
      "lower_read_only_renamed_over", "hard_linked_lower", "hard_linked_lower_every_name_gone",
      "hard_linked_lower_other_name_first", "chown_to_nothing_copies_up", "new_directory", "lower_directory",
      "copied_up_directory", "merged_directory", "new_directory_renamed_over", "copied_up_directory_renamed_over",
      "emptied_lower_directory_renamed_over", "lower_directory_name_made_again", "working_directory_removed",
      "as_user_own_file", "as_user_lower_file", "as_user_lower_file_read_only", "as_user_roots_file",
      "as_user_setuid_file", "as_user_own_directory"})
  void theDescriptorAnswersAsTheKernelsOverlayDoes(String scenario) throws Exception {
    Run kernel = run("kernel", Overlay.KERNEL::mount, Overlay.KERNEL, scenario);
    Run fuse = run("fuse", Overlay.FUSE::mount, Overlay.FUSE, scenario);
    assertThat(kernel.trace()).as("the kernel's trace").isNotEmpty();
    assertThat(String.join("\n", fuse.trace())).as("the FUSE mount's trace, against the kernel's")
        .isEqualTo(String.join("\n", kernel.trace()));
    TreeMap<String, String> expected = new TreeMap<>(kernel.upper());
    if (!Overlay.fuseIsFuseOverlayfs()) {
      expected.putAll(UPPER_EXTRAS.getOrDefault(scenario, Map.of()));
    }
    assertThat(fuse.upper()).as("the FUSE mount's upper after the unmount, against the kernel's")
        .isEqualTo(expected);
    if (!Overlay.fuseIsFuseOverlayfs()) {
      assertThat(fuse.work()).as("what the FUSE mount left in its work directory").isEmpty();
    }
  }

  /**
   * The scenarios over libfuse's path API (strata-overlay's transport without root), where its
   * paths reach: files unlinked or renamed over while open keep a path of libfuse's own, which
   * the union answers (HiddenNames). Not here, as the path API cannot give them (docs/mounts.md):
   * directories removed while open and files whose directory was removed (no path is left);
   * the other names of a hard-linked file (separate kernel inodes, whose attributes lag by a
   * second); O_PATH descriptors (no open file to libfuse); chown(-1, -1), which reaches a path
   * filesystem as nothing, so neither copies up nor fails on a removed lower file.
   */
  @ParameterizedTest
  @ValueSource(strings = {"new_file", "lower_read_write",
      "copied_up_then_opened_read_only", "lower_reopened_for_writing", "metacopy_then_write", "two_descriptors",
      "renamed_over", "as_user_own_file", "as_user_lower_file", "as_user_roots_file", "as_user_setuid_file"})
  void overLibfuseTheDescriptorAnswersAsTheKernelsOverlayDoes(String scenario) throws Exception {
    assumeFalse(Overlay.fuseIsFuseOverlayfs(), "fuse-overlayfs has one transport, tested above");
    Run kernel = run("kernel", Overlay.KERNEL::mount, Overlay.KERNEL, scenario);
    Run libfuse = run("libfuse", (lowers, upper, work, mnt) -> Overlay.mountWith(Map.of("STRATA_FUSE_TRANSPORT",
        "libfuse"), lowers, upper, work, mnt), Overlay.FUSE, scenario);
    assertThat(String.join("\n", libfuse.trace())).as("the libfuse mount's trace, against the kernel's")
        .isEqualTo(String.join("\n", kernel.trace()));
    assertThat(libfuse.upper()).as("the libfuse mount's upper after the unmount").isEqualTo(kernel.upper());
    assertThat(libfuse.work()).as("what the libfuse mount left in its work directory").isEmpty();
  }

  /** How a run mounts its lowers. */
  private interface Mounter {
    void mount(List<Path> lowers, Path upper, Path work, Path mnt) throws IOException, InterruptedException;
  }

  /**
   * Names Strata's upper holds where the kernel's does not. A change through a descriptor of a
   * removed name of a hard-linked lower file reaches Strata as a change of the file's inode,
   * which FUSE names by node id alone, so a name that is left serves it and is linked into the
   * upper, as a change through that name is on the kernel's overlay; the union shows the same.
   */
  private static final Map<String, Map<String, String>> UPPER_EXTRAS =
      Map.of("hard_linked_lower", Map.of("hd", "4", "hd/h2", "10"));

  /** What one mount answered, and the names its upper and work directory held after it ended. */
  private record Run(List<String> trace, TreeMap<String, String> upper, List<String> work) {}

  private Run run(String kind, Mounter mounter, Overlay overlay, String scenario) throws Exception {
    Path base = Files.createDirectories(dir.resolve(kind));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    TestHost host = TestHost.ofProcess();
    ConformanceLowers lowers = ConformanceLowers.build(base, host);
    // A directory uid 1000 may write in, with a lower file of its own, one of root's that
    // anyone may write and a setuid one, for the scenarios run as uid 1000.
    Path shared = Files.createDirectories(lowers.top().resolve("shared"));
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.writeString(shared.resolve("theirs"), "owned by 1000\n");
    host.lchown(shared.resolve("theirs"), AsUser.ALICE, AsUser.ALICE);
    Files.writeString(shared.resolve("rootfile"), "root's, anyone may write\n");
    host.chmod(shared.resolve("rootfile"), 0666);
    Files.writeString(shared.resolve("setuid"), "setuid root\n");
    host.chmod(shared.resolve("setuid"), 06777);
    Files.createDirectories(lowers.top().resolve("empty"));
    Files.createDirectories(lowers.middle().resolve("empty2"));
    Path upper = Files.createDirectories(base.resolve("upper"));
    Path work = Files.createDirectories(base.resolve("work"));
    Path mnt = Files.createDirectories(base.resolve("mnt"));
    mounter.mount(lowers.topFirst(), upper, work, mnt);
    Runnable unmount = () -> {
      try {
        overlay.unmount(mnt);
      } catch (IOException | InterruptedException e) {
        throw new AssertionError(e);
      }
    };
    unmounts.add(unmount);
    Path script = dir.resolve("descriptors.py");
    try (InputStream in = OpenDescriptorsTest.class.getResourceAsStream("descriptors.py")) {
      Files.write(script, in.readAllBytes());
    }
    List<String> command = new ArrayList<>();
    if (scenario.startsWith("as_user")) {
      command.addAll(List.of("setpriv", "--reuid=" + AsUser.ALICE, "--regid=" + AsUser.ALICE, "--clear-groups", "--"));
    }
    command.addAll(List.of("/usr/bin/python3", script.toString(), mnt.toString(), scenario));
    Command ran = Command.run(command);
    unmounts.remove(unmount);
    unmount.run();
    assertThat(ran.status()).as(ran.output()).isZero();
    List<String> lines = new ArrayList<>(List.of(ran.output().split("\n")));
    lines.removeIf(String::isBlank);
    return new Run(lines, tree(upper), leftInWork(work));
  }

  /**
   * Every path below {@code root} with its type (d, f, l or the mode's type bits). A name gone
   * between the listing and its stat is left out: the server, ending after the unmount, removes
   * the shared whiteout inode's name and its log meanwhile.
   */
  private static TreeMap<String, String> tree(Path root) throws IOException {
    TreeMap<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.toList()) {
        if (!p.equals(root)) {
          try {
            out.put(root.relativize(p).toString(), Integer.toOctalString(mode(p) >> 12));
          } catch (NoSuchFileException gone) {
            // removed by the ending server: not left behind
          }
        }
      }
    }
    return out;
  }

  /**
   * Whatever a work directory holds besides directories, Strata's index (the link counts of
   * hard-linked lower files with names left, as the kernel's index holds them), the shared
   * whiteout inode (the kernel's overlay leaves its own, a {@code #N} char 0/0, in its work
   * directory after the unmount too; the next mount removes it) and an empty log, which the
   * server removes as it ends; a log with anything in it is shown.
   */
  private static List<String> leftInWork(Path work) throws IOException {
    List<String> left = new ArrayList<>();
    List<Path> all;
    try (Stream<Path> s = Files.list(work)) {
      all = s.toList();
    }
    for (Path p : all) {
      if (p.getFileName().toString().endsWith(".log")) {
        String log = readIfThere(p);
        if (!log.isEmpty()) {
          left.add(p.getFileName() + ": " + log);
        }
      } else if (p.getFileName().toString().equals("strata-index")) {
        continue;
      } else if (mode(p) >> 12 == 4) {
        tree(p).forEach((path, type) -> {
          if (!type.equals("4") && !(type.equals("2") && path.startsWith("#whiteout-"))) {
            left.add(p.getFileName() + "/" + path);
          }
        });
      } else {
        left.add(p.getFileName().toString());
      }
    }
    return left;
  }

  private static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
  }

  /** A file's text, or "" if it is gone (the server may remove its empty log meanwhile). */
  private static String readIfThere(Path p) throws IOException {
    try {
      return Files.readString(p);
    } catch (NoSuchFileException e) {
      return "";
    }
  }

  @AfterEach
  void unmount() {
    unmounts.forEach(Runnable::run);
  }
}
