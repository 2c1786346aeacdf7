package dev.strata.fuse;

import static dev.strata.fuse.KernelDifferentialTest.op;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.union.HostDirLayer;
import dev.strata.union.LowerLayer;
import dev.strata.union.UnionFs;
import dev.strata.union.UnionOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Rotated layers: once its union is gone, an upper becomes a lower layer of the next union, as
 * container engines stack an old upper and unionmount-testsuite's {@code --ov} does. Each round
 * mounts the same lowers with kernel overlayfs, opens the engine on them and mounts them with
 * strata-overlay; all three must show the same tree, then give the same answers to the same
 * seeded operations and end with the same tree. The next round stacks one upper of this round
 * on top of the lowers: the kernel's, so that Strata reads the kernel's full format (metacopy
 * files with redirects, chains of them, redirected directories, whiteouts, opaque directories,
 * hard links made through the index, which stays behind in the work directory), or the
 * engine's, so that the kernel reads Strata's. Links to symlinks are left out of the random
 * sequences (see {@link #linksASymlink}).
 *
 * <p>{@code -Dstrata.overlay.command=/usr/bin/fuse-overlayfs} puts fuse-overlayfs in place of
 * strata-overlay; {@code strata.rotate.seeds}, {@code .ops} and {@code .rounds} size the runs.
 */
class RotatedLayersTest {
  static final int ROUNDS = Integer.getInteger("strata.rotate.rounds", 3);
  static final int OPS = Integer.getInteger("strata.rotate.ops", 300);
  static final int SEEDS = Integer.getInteger("strata.rotate.seeds", 2);

  /** Whose upper each round leaves to the next as its top lower layer. */
  enum Writer { KERNEL, ENGINE }

  @TempDir Path dir;
  private final TestHost host = TestHost.ofProcess();
  private final List<Path> mounts = new ArrayList<>();

  static Stream<Arguments> runs() {
    List<Arguments> out = new ArrayList<>();
    long first = Long.getLong("strata.rotate.first", 1);
    for (long seed = first; seed < first + SEEDS; seed++) {
      for (Writer w : Writer.values()) {
        out.add(Arguments.of(seed, w));
      }
    }
    return out.stream();
  }

  /** Unmounts what a failed round left mounted. */
  @AfterEach
  void unmount() throws Exception {
    for (Path m : mounts) {
      KernelDifferentialTest.run("umount", m.toString());
    }
  }

  @ParameterizedTest(name = "{1} uppers, seed {0}")
  @MethodSource("runs")
  void everyRoundReadsTheRotatedLayersAsTheKernelDoes(long seed, Writer writer) throws Exception {
    Random random = new Random(seed);
    List<List<Op>> rounds = new ArrayList<>();
    for (int r = 0; r < ROUNDS; r++) {
      List<Op> ops = new ArrayList<>();
      for (int i = 0; i < OPS; i++) {
        ops.add(Op.random(random));
      }
      rounds.add(ops);
    }
    rotate("seed " + seed, writer, rounds);
  }

  // Named sequences that leave each part of the format in an upper, then read it rotated.

  /** unionmount-testsuite's rename-file with --ov: a renamed lower file, renamed again above. */
  @ParameterizedTest(name = "{0} uppers")
  @EnumSource(Writer.class)
  void aRenamedLowerFileReadsItsDataThroughAChainOfMetacopyFiles(Writer writer) throws Exception {
    rotate("renamed files", writer, List.of(
        List.of(op(Op.Kind.CHMOD, "a", null, 0, 0640), op(Op.Kind.RENAME, "a", "d1/a2", 0, 0),
            op(Op.Kind.RENAME, "big", "big2", 0, 0), op(Op.Kind.RENAME, "d1/f", "d1/g", 0, 0),
            op(Op.Kind.READ, "d1/a2", null, 0, 100)),
        List.of(op(Op.Kind.READ, "big2", null, 70_000, 4096), op(Op.Kind.CHOWN, "d1/a2", null, 1, 1),
            op(Op.Kind.RENAME, "d1/a2", "e/a3", 0, 0), op(Op.Kind.RENAME, "big2", "x/big3", 0, 0),
            op(Op.Kind.RENAME, "d1/g", "d1/h", 0, 0), op(Op.Kind.READ, "e/a3", null, 0, 100)),
        List.of(op(Op.Kind.READ, "x/big3", null, 4000, 4096), op(Op.Kind.WRITE, "e/a3", null, 3, 0),
            op(Op.Kind.READ, "e/a3", null, 0, 100), op(Op.Kind.READ, "d1/h", null, 0, 100))));
    Path first = upper(writer, 0);
    assertThat(overlayXattr(first.resolve("d1/a2"), "metacopy")).as("a metadata-only copy").isNotNull();
    assertThat(overlayXattr(first.resolve("d1/a2"), "redirect")).isEqualTo("/a");
    assertThat(overlayXattr(upper(writer, 1).resolve("e/a3"), "metacopy")).as("over another").isNotNull();
  }

  /** unionmount-testsuite's hard-link with --ov: links made through the index, then rotated. */
  @ParameterizedTest(name = "{0} uppers")
  @EnumSource(Writer.class)
  void hardLinksMadeThroughTheIndexReadTheSameRotated(Writer writer) throws Exception {
    rotate("hard links", writer, List.of(
        List.of(op(Op.Kind.LINK, "f", "g", 0, 0), op(Op.Kind.WRITE, "d1/n", null, 0, 0),
            op(Op.Kind.LINK, "a", "a2", 0, 0), op(Op.Kind.UNLINK, "x/c", null, 0, 0)),
        List.of(op(Op.Kind.STAT, "f", null, 0, 0), op(Op.Kind.WRITE, "a2", null, 5, 0),
            op(Op.Kind.READ, "a", null, 0, 100), op(Op.Kind.LINK, "g", "g2", 0, 0),
            op(Op.Kind.UNLINK, "f", null, 0, 0), op(Op.Kind.STAT, "g", null, 0, 0)),
        List.of(op(Op.Kind.STAT, "g2", null, 0, 0), op(Op.Kind.WRITE, "g2", null, 1, 0),
            op(Op.Kind.READ, "g", null, 0, 100), op(Op.Kind.UNLINK, "a", null, 0, 0),
            op(Op.Kind.STAT, "a2", null, 0, 0))));
  }

  /**
   * Renamed directories, and renames inside them in later rounds: a lookup from the roots must
   * follow each layer's redirects on the way, as the kernel's does.
   */
  @ParameterizedTest(name = "{0} uppers")
  @EnumSource(Writer.class)
  void renamedDirectoriesAndWhatMovesOutOfThemLater(Writer writer) throws Exception {
    rotate("renamed directories", writer, List.of(
        List.of(op(Op.Kind.RENAME, "x", "n", 0, 0), op(Op.Kind.RENAME, "d1", "e/d", 0, 0),
            op(Op.Kind.WRITE, "e/d/new", null, 0, 0)),
        List.of(op(Op.Kind.RENAME, "e/d/f", "f2", 0, 0), op(Op.Kind.RENAME, "e/d", "q", 0, 0),
            op(Op.Kind.RENAME, "n/n", "n/m", 0, 0), op(Op.Kind.MKDIR, "q/sub", null, 0, 0),
            op(Op.Kind.READDIR, "q", null, 0, 0), op(Op.Kind.READ, "f2", null, 0, 100)),
        List.of(op(Op.Kind.READDIR, "q", null, 0, 0), op(Op.Kind.RENAME, "q/e", "q/sub/e2", 0, 0),
            op(Op.Kind.READ, "q/sub/e2", null, 0, 100), op(Op.Kind.RENAME, "q", "w/q", 0, 0),
            op(Op.Kind.READDIR, "w/q", null, 0, 0))));
  }

  /** Whiteouts of files and directories, and directories made over them (opaque), rotated. */
  @ParameterizedTest(name = "{0} uppers")
  @EnumSource(Writer.class)
  void whiteoutsAndOpaqueDirectoriesHideTheSameRotated(Writer writer) throws Exception {
    rotate("whiteouts", writer, List.of(
        List.of(op(Op.Kind.UNLINK, "c", null, 0, 0), op(Op.Kind.MKDIR, "c", null, 0, 0),
            op(Op.Kind.WRITE, "c/new", null, 0, 0), op(Op.Kind.UNLINK, "y", null, 0, 0),
            op(Op.Kind.UNLINK, "w/f", null, 0, 0), op(Op.Kind.RMDIR, "w", null, 0, 0),
            op(Op.Kind.WRITE, "w", null, 0, 0)),
        List.of(op(Op.Kind.UNLINK, "c/new", null, 0, 0), op(Op.Kind.RMDIR, "c", null, 0, 0),
            op(Op.Kind.WRITE, "c", null, 0, 0), op(Op.Kind.UNLINK, "w", null, 0, 0),
            op(Op.Kind.MKDIR, "w", null, 0, 0), op(Op.Kind.MKDIR, "y", null, 0, 0),
            op(Op.Kind.WRITE, "y/z", null, 0, 0)),
        List.of(op(Op.Kind.READ, "c", null, 0, 100), op(Op.Kind.READDIR, "w", null, 0, 0),
            op(Op.Kind.RMDIR, "y", null, 0, 0), op(Op.Kind.UNLINK, "y/z", null, 0, 0),
            op(Op.Kind.RMDIR, "y", null, 0, 0))));
  }

  /** Returns the upper that {@code writer} wrote in {@code round}. */
  private Path upper(Writer writer, int round) {
    return dir.resolve((writer == Writer.KERNEL ? "kernel" : "engine") + "-upper-" + round);
  }

  /** Returns the overlay xattr {@code key} of {@code file}, as root writes it; null if absent. */
  private String overlayXattr(Path file, String key) throws Exception {
    byte[] value = host.getxattr(file, "trusted.overlay." + key);
    return value == null ? null : new String(value, java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * Runs {@code rounds} (one list of operations each) on the kernel, the engine and a FUSE
   * mount over the same lowers, each round's lowers being the last round's with the writer's
   * upper on top.
   */
  private void rotate(String label, Writer writer, List<List<Op>> rounds) throws Exception {
    // Some operations are uid 1000's (Op.random): it must reach the mounts to make them.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    List<Path> lowers = new ArrayList<>(List.of(dir.resolve("l1"), dir.resolve("l2"), dir.resolve("l3")));
    LowerFixture.build(lowers.get(0), lowers.get(1), lowers.get(2), host);
    for (int round = 0; round < rounds.size(); round++) {
      String where = label + ", round " + round + " over " + lowers.stream().map(p -> p.getFileName().toString()).toList();
      Path kernelUpper = directory("kernel-upper-" + round);
      Path engineUpper = directory("engine-upper-" + round);
      Path kernelMount = mountKernel(lowers, kernelUpper, directory("kernel-work-" + round),
          directory("kernel-mnt-" + round));
      Target kernel = new KernelTarget(kernelMount);
      Target mounted = new KernelTarget(mountFuse(lowers, directory("fuse-upper-" + round),
          directory("fuse-work-" + round), directory("fuse-mnt-" + round)));
      List<LowerLayer> layers = new ArrayList<>();
      for (Path l : lowers) {
        layers.add(HostDirLayer.open(l));
      }
      try (UnionFs fs = UnionFs.open(layers, engineUpper, directory("engine-work-" + round),
          UnionOptions.defaults(host.privileges()))) {
        Target engine = new EngineTarget(fs);
        compareTrees(kernel, engine, mounted, where + ", before any change");
        List<String> log = new ArrayList<>();
        for (int i = 0; i < rounds.get(round).size(); i++) {
          Op op = rounds.get(round).get(i);
          if (op.kind() == Op.Kind.LINK && linksASymlink(kernelMount, op)) {
            continue;
          }
          Outcome k = kernel.apply(op);
          Outcome e = engine.apply(op);
          Outcome m = mounted.apply(op);
          log.add(i + ": " + op + " -> " + k);
          String last = String.join("\n", log.subList(Math.max(0, log.size() - 15), log.size()));
          assertThat(e).as("engine, %s, op %d: %s%nlast ops:%n%s", where, i, op, last).isEqualTo(k);
          assertThat(m).as("the FUSE mount, %s, op %d: %s%nlast ops:%n%s", where, i, op, last).isEqualTo(k);
        }
        for (Target t : List.of(kernel, engine, mounted)) {
          t.closeAll();
        }
        compareTrees(kernel, engine, mounted, where + ", after its operations");
      }
      for (Path m : List.copyOf(mounts)) {
        KernelDifferentialTest.run("umount", m.toString());
        mounts.remove(m);
      }
      lowers.add(0, writer == Writer.KERNEL ? kernelUpper : engineUpper);
    }
  }

  /**
   * Whether {@code op} would give a symlink a second name. Left out: a symlink with two names in
   * a lower layer is one the engine does not tie through the index as the kernel does (it ties
   * regular files only), so a change through one name would not show through the other.
   */
  private static boolean linksASymlink(Path kernel, Op op) {
    return Files.isSymbolicLink(kernel.resolve(op.path()));
  }

  /** Compares the engine's and the FUSE mount's trees with the kernel's. */
  private static void compareTrees(Target kernel, Target engine, Target mounted, String when) throws Exception {
    Map<String, String> expected = kernel.snapshot();
    assertThat(KernelDifferentialTest.difference(engine.snapshot(), expected))
        .as("the engine, %s (engine | kernel)", when).isEmpty();
    assertThat(KernelDifferentialTest.difference(mounted.snapshot(), expected))
        .as("the FUSE mount, %s (FUSE mount | kernel)", when).isEmpty();
  }

  /** Returns a new directory {@code name} of the test. */
  private Path directory(String name) throws Exception {
    return Files.createDirectories(dir.resolve(name));
  }

  /** Mounts kernel overlayfs with the options that make it write the whole format. */
  private Path mountKernel(List<Path> lowers, Path upper, Path work, Path at) throws Exception {
    KernelDifferentialTest.run("mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + join(lowers) + ",upperdir="
        + upper + ",workdir=" + work + ",redirect_dir=on,index=on,metacopy=on", at.toString());
    mounts.add(at);
    return at;
  }

  /**
   * strata-overlay from this build's classes, or the mount program {@code strata.overlay.command}
   * names (fuse-overlayfs takes the same arguments); either returns once the mount is live.
   */
  private Path mountFuse(List<Path> lowers, Path upper, Path work, Path at) throws Exception {
    List<String> command = new ArrayList<>(List.of(System.getProperty("strata.overlay.command",
        Path.of(System.getProperty("java.home"), "bin", "java") + " -cp " + System.getProperty("java.class.path")
            + " " + OverlayMain.class.getName()).trim().split("\\s+")));
    command.addAll(List.of("-o", "lowerdir=" + join(lowers) + ",upperdir=" + upper + ",workdir=" + work, at.toString()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("the mount program returned").isTrue();
    assertThat(p.exitValue()).as("the mount program's exit").isZero();
    mounts.add(at);
    return at;
  }

  /** The lowerdir= value of {@code lowers}, top first. */
  private static String join(List<Path> lowers) {
    return String.join(":", lowers.stream().map(Path::toString).toList());
  }
}
