package dev.strata.fuse.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * fuse-overlayfs's own options, those rootless container engines pass to their mount_program,
 * held to fuse-overlayfs 1.10 mounted with the same options over the same lower, each with an
 * upper of its own: the same steps on each must observe the same (owners the mount shows and
 * the upper holds after chowns and creates, link counts, what ACLs grant, xattr calls, fsync on
 * a failed disk, renaming a lower directory). Every case also observes strata-overlay without
 * the option, which must differ from fuse-overlayfs with it: a strata-overlay that ignored the
 * option again would fail. As root, on each of strata-overlay's transports.
 */
class FuseOverlayfsOwnOptionsTest {
  /** The uid and gid that a rootless container's user 5 / group 6 has on the host: mapped by MAP. */
  private static final int CALLER = 100_005;

  @TempDir Path dir;
  private Path lower;
  private int mounts;

  /** What a mount shows of one option, by steps run on it live and on its upper afterwards. */
  private interface Probe {
    String at(Path dir) throws Exception;
  }

  private static final Probe NOTHING = d -> "";

  /**
   * One lower for every case: files of three owners, one past 65536; a sticky directory anyone
   * may write in; a directory with two subdirectories and a file with two names; a file only
   * an ACL lets uid 1000 read; a file with a user xattr; a directory to rename.
   */
  @BeforeEach
  void lower() throws Exception {
    assertThat(Path.of("/usr/bin/fuse-overlayfs")).as("fuse-overlayfs 1.10 is the oracle (scripts/setup.sh)")
        .isExecutable();
    Files.setAttribute(dir, "unix:mode", 0755); // other users walk to the mount points
    lower = Files.createDirectories(dir.resolve("lower"));
    Files.setAttribute(lower, "unix:mode", 0755);
    Files.writeString(lower.resolve("root-file"), "r\n");
    Files.writeString(lower.resolve("user-file"), "u\n");
    Files.writeString(lower.resolve("far-file"), "f\n");
    Command.check("chown", "1000:1001", lower.resolve("user-file").toString());
    Command.check("chown", "70000:70000", lower.resolve("far-file").toString());
    Files.setAttribute(Files.createDirectories(lower.resolve("shared")), "unix:mode", 01777);
    Files.createDirectories(lower.resolve("tree/a"));
    Files.createDirectories(lower.resolve("tree/b"));
    Files.writeString(lower.resolve("linked"), "l\n");
    Files.createLink(lower.resolve("linked-too"), lower.resolve("linked"));
    Path secret = lower.resolve("secret");
    Files.writeString(secret, "for uid 1000 by its ACL\n");
    Files.setAttribute(secret, "unix:mode", 0640);
    Command.check("setfattr", "-n", "system.posix_acl_access", "-v", aclReadableBy(AsUser.ALICE), secret.toString());
    Files.writeString(lower.resolve("tagged"), "t\n");
    Command.check("setfattr", "-n", "user.tag", "-v", "lower", lower.resolve("tagged").toString());
    Files.writeString(Files.createDirectories(lower.resolve("moving")).resolve("inside"), "i\n");
  }

  static Stream<Arguments> ownerOptions() {
    List<String> options = List.of(
        "squash_to_root",
        "squash_to_uid=1234,squash_to_gid=4321",
        // squash_to_gid wins over squash_to_root for the group, wherever it is written
        "squash_to_gid=7,squash_to_root",
        // as containers/storage writes a map: a colon before the first range
        "uidmapping=:0:100000:65536,gidmapping=:0:100000:65536",
        // the squash wins in what is shown, the map decides what is stored
        "squash_to_uid=7,uidmapping=0:100000:65536,gidmapping=0:100000:65536");
    return Stream.of(MountProgram.STRATA_DEV_FUSE, MountProgram.STRATA_LIBFUSE)
        .flatMap(p -> options.stream().map(o -> Arguments.of(p, o)));
  }

  /**
   * The owners shown of the lower's files, of files a user makes and of files root chowns, and
   * the owners those have in the upper afterwards: under squash a chown still records its owner
   * in the upper, through the map, while the mount goes on showing the squashed one.
   */
  @ParameterizedTest(name = "{0} -o {1}")
  @MethodSource("ownerOptions")
  void ownersAreShownAndStoredAsOnFuseOverlayfs(MountProgram strata, String options) throws Exception {
    Probe live = mnt -> {
      String shown = stat("%n %u %g", mnt, ".", "root-file", "user-file", "far-file", "shared");
      Command made = AsUser.sh(CALLER, "cd '" + mnt + "' && echo new > shared/made && mkdir shared/made-dir && "
          + "stat -c '%n %u %g' shared/made shared/made-dir");
      Command.check("chown", "100033:100044", mnt.resolve("shared/made").toString());
      Command.check("chown", "100055:100066", mnt.resolve("root-file").toString());
      return shown + made.status() + " " + made.output() + stat("%n %u %g", mnt, "shared/made", "root-file");
    };
    sameAsFuseOverlayfs(strata, options, live, FuseOverlayfsOwnOptionsTest::upperOwners);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = MountProgram.class, names = {"STRATA_DEV_FUSE", "STRATA_LIBFUSE"})
  void staticNlinkShowsOneLinkForEveryDirectory(MountProgram strata) throws Exception {
    Probe live = mnt -> {
      Files.createDirectories(mnt.resolve("new/x"));
      Files.createDirectories(mnt.resolve("new/y"));
      // the merged root, a lower directory, one made here, and a file's two names
      return stat("%n %h", mnt, ".", "tree", "new", "linked");
    };
    sameAsFuseOverlayfs(strata, "static_nlink", live, NOTHING);
  }

  /**
   * POSIX ACLs grant access as on fuse-overlayfs, and grant nothing under noacl; the xattr
   * holding the ACL is listed either way (fuse-overlayfs hides nothing under noacl). libfuse 2
   * cannot ask the kernel to check ACLs: over it a mount is always as under noacl.
   */
  @Test
  void aclsGrantAsOnFuseOverlayfsUnlessNoaclOrOverLibfuse() throws Exception {
    Probe live = FuseOverlayfsOwnOptionsTest::readBySecretsAcl;
    String granted = observe(MountProgram.FUSE_OVERLAYFS, "", live, NOTHING);
    String refused = observe(MountProgram.FUSE_OVERLAYFS, "noacl", live, NOTHING);
    assertThat(granted).contains("0 for uid 1000 by its ACL");
    assertThat(refused).contains("Permission denied");
    assertThat(observe(MountProgram.STRATA_DEV_FUSE, "", live, NOTHING)).isEqualTo(granted);
    assertThat(observe(MountProgram.STRATA_DEV_FUSE, "noacl", live, NOTHING)).isEqualTo(refused);
    for (String options : List.of("", "noacl")) {
      assertThat(observe(MountProgram.STRATA_LIBFUSE, options, live, NOTHING)).as("libfuse -o " + options)
          .isEqualTo(refused);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = MountProgram.class, names = {"STRATA_DEV_FUSE", "STRATA_LIBFUSE"})
  void noxattrsAnswersEveryXattrCallWithOperationNotSupported(MountProgram strata) throws Exception {
    Probe live = mnt -> Command.run(List.of("sh", "-c", "cd '" + mnt + "' && getfattr -d tagged; "
        + "setfattr -n user.new -v 1 tagged; getfattr -n user.tag tagged; getfattr -d -m - secret; echo done")).output();
    sameAsFuseOverlayfs(strata, "noxattrs=1", live, NOTHING);
  }

  /**
   * fsync and fdatasync of a file made through the mount, after the upper's disk has failed
   * (an ext4 shut down): EIO from a mount that syncs, success at once under volatile or fsync=0.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(value = MountProgram.class, names = {"STRATA_DEV_FUSE", "STRATA_LIBFUSE"})
  void volatileAndFsync0MakeFsyncSucceedWithoutWriting(MountProgram strata) throws Exception {
    for (String options : List.of("volatile", "fsync=0")) {
      String peer = fsyncAfterTheDiskFailed(MountProgram.FUSE_OVERLAYFS, options);
      assertThat(peer).isEqualTo("fsync ok, fdatasync ok");
      assertThat(fsyncAfterTheDiskFailed(strata, options)).as(options).isEqualTo(peer);
    }
    assertThat(fsyncAfterTheDiskFailed(MountProgram.FUSE_OVERLAYFS, "")).isEqualTo("fsync EIO, fdatasync EIO");
    assertThat(fsyncAfterTheDiskFailed(strata, "")).isEqualTo("fsync EIO, fdatasync EIO");
  }

  /** redirect_dir=off, fuse-overlayfs's only way: renaming a lower directory answers EXDEV. */
  @ParameterizedTest(name = "{0}")
  @EnumSource(value = MountProgram.class, names = {"STRATA_DEV_FUSE", "STRATA_LIBFUSE"})
  void redirectDirOffRefusesToRenameALowerDirectory(MountProgram strata) throws Exception {
    Probe live = mnt -> Posix.rename(mnt.resolve("moving"), mnt.resolve("moved"), 0) + " "
        + Files.exists(mnt.resolve("moving/inside"));
    sameAsFuseOverlayfs(strata, "redirect_dir=off", live, NOTHING);
  }

  /**
   * --version and --help on stdout, exit 0, shaped as fuse-overlayfs's: its name and version
   * first (podman info shows the output as the mount program's version), the FUSE kernel
   * interface; the usage line with the program's name.
   */
  @Test
  void versionAndHelpAreAnsweredAsFuseOverlayfsAnswers() throws Exception {
    for (String flag : List.of("--version", "-V")) {
      Output peer = run(MountProgram.FUSE_OVERLAYFS, flag);
      Output ours = run(MountProgram.STRATA_DEV_FUSE, flag);
      assertThat(peer.status()).isZero();
      assertThat(ours.status()).as(ours.stdout()).isZero();
      // fuse-overlayfs's own lines sit behind fusermount3's when its stdout is a pipe
      assertThat(peer.lines()).anyMatch(Pattern.compile("fuse-overlayfs: version \\S+").asMatchPredicate());
      assertThat(ours.lines().get(0)).matches("strata-overlay: version \\S+");
      String kernelInterface = "using FUSE kernel interface version ";
      assertThat(peer.lines()).anyMatch(l -> l.matches(Pattern.quote(kernelInterface) + "\\d+\\.\\d+"));
      assertThat(ours.lines()).anyMatch(l -> l.matches(Pattern.quote(kernelInterface) + "\\d+\\.\\d+"));
    }
    for (String flag : List.of("--help", "-h")) {
      Output peer = run(MountProgram.FUSE_OVERLAYFS, flag);
      Output ours = run(MountProgram.STRATA_DEV_FUSE, flag);
      assertThat(peer.status()).isZero();
      assertThat(ours.status()).isZero();
      // fuse-overlayfs names itself as it was run (argv[0]); strata-overlay by its name
      String peerUsage = peer.lines().get(0).replace(MountProgram.FUSE_OVERLAYFS.program()[0], "fuse-overlayfs");
      assertThat(ours.lines().get(0)).isEqualTo(peerUsage.replace("fuse-overlayfs", "strata-overlay"));
    }
  }

  /**
   * Mounts fuse-overlayfs and {@code strata} with {@code options}, and strata without them;
   * the first two must observe the same, the third something else.
   */
  private void sameAsFuseOverlayfs(MountProgram strata, String options, Probe live, Probe upper) throws Exception {
    String peer = observe(MountProgram.FUSE_OVERLAYFS, options, live, upper);
    assertThat(observe(strata, options, live, upper)).as(strata + " -o " + options).isEqualTo(peer);
    assertThat(observe(strata, "", live, upper)).as(strata + " without " + options + ": does the probe see it?")
        .isNotEqualTo(peer);
  }

  /** Mounts the lower with {@code options} and an upper of its own; what {@code live} saw, then {@code upper}. */
  private String observe(MountProgram program, String options, Probe live, Probe upper) throws Exception {
    Path base = Files.createDirectories(dir.resolve(program + "-" + mounts++));
    Files.setAttribute(base, "unix:mode", 0755);
    Path up = Files.createDirectories(base.resolve("upper"));
    Path mnt = Files.createDirectories(base.resolve("mnt"));
    String seen;
    program.mount(List.of(lower), up, Files.createDirectories(base.resolve("work")), mnt, Map.of(), options);
    try {
      seen = live.at(mnt).replace(mnt.toString(), "MNT");
    } finally {
      program.unmount(mnt);
    }
    return seen + upper.at(up);
  }

  /** What fsync and fdatasync of a new file answer once the disk under the upper has failed. */
  private String fsyncAfterTheDiskFailed(MountProgram program, String options) throws Exception {
    Path base = Files.createDirectories(dir.resolve(program + "-" + mounts++));
    Path mnt = Files.createDirectories(base.resolve("mnt"));
    try (ScratchFs disk = ScratchFs.ext4(base.resolve("disk"), 64)) {
      Path up = Files.createDirectories(disk.root().resolve("upper"));
      program.mount(List.of(lower), up, Files.createDirectories(disk.root().resolve("work")), mnt, Map.of(), options);
      try {
        Posix.Fd fd = Posix.fd(mnt.resolve("new"), Posix.O_CREAT | Posix.O_WRONLY, 0644);
        assertThat(fd.write("written before the failure\n".getBytes(StandardCharsets.UTF_8), 0)).isEqualTo(Posix.OK);
        disk.shutDown();
        String answers = "fsync " + fd.fsync() + ", fdatasync " + fd.fdatasync();
        try {
          fd.close();
        } catch (IOException deadDisk) {
          // what close answers on a failed disk is not what is compared
        }
        return answers;
      } finally {
        program.unmount(mnt);
      }
    }
  }

  /** uid 1000 reads the file only its ACL lets it read; root lists that file's xattrs. */
  private static String readBySecretsAcl(Path mnt) throws Exception {
    Command read = AsUser.sh(AsUser.ALICE, "cat '" + mnt.resolve("secret") + "'");
    Command listed = Command.run(List.of("getfattr", "--absolute-names", "-d", "-m", "-", mnt.resolve("secret").toString()));
    return read.status() + " " + read.output() + listed.output();
  }

  /** The owners of the upper's files, whiteouts aside (fuse-overlayfs marks opaque directories with files). */
  private static String upperOwners(Path upper) throws Exception {
    return Command.run(List.of("find", upper.toString(), "-mindepth", "1", "-not", "-name", ".wh.*", "-printf",
        "upper %P %U %G\n")).output().lines().sorted().reduce("", (a, b) -> a + b + "\n");
  }

  private static String stat(String format, Path mnt, String... names) throws Exception {
    List<String> command = new ArrayList<>(List.of("stat", "-c", format));
    for (String n : names) {
      command.add(mnt.resolve(n).normalize().toString());
    }
    return Command.run(command).output();
  }

  /**
   * A POSIX ACL in its xattr form (version 2, then tag, permissions and id per entry): the owner
   * may read and write, {@code uid} and the mask may read, the group and others nothing.
   */
  private static String aclReadableBy(int uid) {
    int[][] entries = {{0x01, 6, -1}, {0x02, 4, uid}, {0x04, 0, -1}, {0x10, 4, -1}, {0x20, 0, -1}};
    ByteBuffer b = ByteBuffer.allocate(4 + 8 * entries.length).order(ByteOrder.LITTLE_ENDIAN).putInt(2);
    for (int[] e : entries) {
      b.putShort((short) e[0]).putShort((short) e[1]).putInt(e[2]);
    }
    return "0x" + HexFormat.of().formatHex(b.array());
  }

  private record Output(int status, String stdout) {
    List<String> lines() {
      return stdout.lines().toList();
    }
  }

  /** Runs the program with {@code flag} alone; what it printed on stdout (its stderr is not part of the answer). */
  private Output run(MountProgram program, String flag) throws Exception {
    List<String> command = new ArrayList<>(List.of(program.program()));
    command.add(flag);
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().putAll(program.environment());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Output(p.exitValue(), out);
  }
}
