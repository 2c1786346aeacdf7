package dev.strata.fuse.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.fuse.FuseMount;
import dev.strata.fuse.Mounts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * strata-overlay and fuse-overlayfs mounted side by side over the same lower, as root, the way a
 * container engine runs its {@code mount_program}: podman passes lowerdir, upperdir and workdir
 * and nothing else, so the mount options are whatever the program adds itself. fuse-overlayfs is
 * the oracle: the same mount flags and filesystem options in the mount table, and the same
 * answers where a container feels them (setuid programs, device nodes), on each of Strata's
 * transports; options given explicitly win on both.
 */
class FuseOverlayfsOptionsTest {
  private static final String FUSE_OVERLAYFS = "/usr/bin/fuse-overlayfs";
  /** A setuid-root copy of id, whose {@code id -u} prints the effective uid. */
  private static final String SETUID_ID = "id";

  @TempDir Path dir;
  private Path lower;
  private final List<Path> mounted = new ArrayList<>();

  /** One lower: a setuid-root program, a character device like /dev/null, a plain file. */
  @BeforeEach
  void lower() throws IOException, InterruptedException {
    assertThat(Path.of(FUSE_OVERLAYFS)).as("fuse-overlayfs 1.10 is the oracle (scripts/setup.sh installs it)")
        .isExecutable();
    // Other users must reach the mounts to run what is in them.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    lower = Files.createDirectories(dir.resolve("lower"));
    Files.setPosixFilePermissions(lower, PosixFilePermissions.fromString("rwxr-xr-x"));
    setuidCopyOfId(lower.resolve(SETUID_ID));
    Command.check("mknod", "-m", "666", lower.resolve("null").toString(), "c", "1", "3");
    Files.writeString(lower.resolve("hello"), "from below\n");
  }

  @AfterEach
  void unmount() throws IOException, InterruptedException {
    for (Path mp : mounted) {
      if (MountTable.contains(mp)) {
        Overlay.FUSE.unmount(mp);
      }
    }
  }

  /** The option lists compared: none (what podman passes), and each kind of override. */
  static Stream<Arguments> optionLists() {
    List<String> lists = List.of("", "nosuid", "dev", "noexec,atime", "nosuid,suid", "ro");
    return Arrays.stream(FuseMount.Transport.values())
        .flatMap(t -> lists.stream().map(o -> Arguments.of(t, o)));
  }

  @ParameterizedTest(name = "{0} -o \"{1}\"")
  @MethodSource("optionLists")
  void theMountTableShowsTheSameMount(FuseMount.Transport transport, String options) throws Exception {
    Mounts.Mount peer = Mounts.at(mountFuseOverlayfs(options)).orElseThrow();
    Mounts.Mount strata = Mounts.at(mountStrataOverlay(transport, options)).orElseThrow();

    assertThat(strata.flags()).as("mount flags").isEqualTo(peer.flags());
    assertThat(strata.options()).as("filesystem options").isEqualTo(peer.options());
    // Inherent differences. The subtype names the server, and so does the source column when
    // the engine names none (libfuse's fsname is the program's name; strata-overlay names
    // itself): a tool that looks for fuse-overlayfs mounts by either is meant to tell them apart.
    assertThat(peer.type()).isEqualTo("fuse.fuse-overlayfs");
    assertThat(strata.type()).isEqualTo("fuse.strata");
    assertThat(peer.source()).isEqualTo("fuse-overlayfs");
    assertThat(strata.source()).isEqualTo("strata-overlay");
  }

  /** No options (setuid honoured, as the issue asks) and nosuid asked for, on each transport. */
  static Stream<Arguments> setuidCases() {
    return Arrays.stream(FuseMount.Transport.values())
        .flatMap(t -> Stream.of(Arguments.of(t, "", "0 0 0"), Arguments.of(t, "nosuid", "1000 1000 1000")));
  }

  @ParameterizedTest(name = "{0} -o \"{1}\": euid {2}")
  @MethodSource("setuidCases")
  void setuidProgramsRunAsTheirOwnerUnlessNosuid(FuseMount.Transport transport, String options, String euid)
      throws Exception {
    Map<String, Path> mounts = mountBoth(transport, options);
    for (Map.Entry<String, Path> m : mounts.entrySet()) {
      boolean nosuid = List.of(Mounts.at(m.getValue()).orElseThrow().flags().split(",")).contains("nosuid");
      assertThat(nosuid).as(m.getKey() + " mounted nosuid").isEqualTo(options.equals("nosuid"));
    }
    Map<String, String> euids = effectiveUids(mounts);
    assertThat(euids.get("strata-overlay")).isEqualTo(euids.get("fuse-overlayfs"));
    assertThat(euids.get("strata-overlay")).as("euid of uid 1000 running setuid-root programs from the lower, "
        + "the upper, and one made through the mount").isEqualTo(euid);
  }

  @ParameterizedTest
  @EnumSource(FuseMount.Transport.class)
  void deviceNodesOpenOnlyWithDevAsOnFuseOverlayfs(FuseMount.Transport transport) throws Exception {
    // fuse-overlayfs leaves libfuse's nodev on (engines give a container its own /dev): root
    // cannot open a device node of the image through either mount until dev is asked for.
    Map<String, Path> plain = mountBoth(transport, "");
    assertThat(openForWriting(plain.get("strata-overlay"))).isEqualTo(openForWriting(plain.get("fuse-overlayfs")))
        .isEqualTo("EACCES");
    unmount();
    mounted.clear();
    Map<String, Path> dev = mountBoth(transport, "dev");
    assertThat(openForWriting(dev.get("strata-overlay"))).isEqualTo(openForWriting(dev.get("fuse-overlayfs")))
        .isEqualTo(Posix.OK);
  }

  /** What open(2) of the lower's /dev/null-like node for writing answers, as root. */
  private static String openForWriting(Path mnt) {
    return Posix.open(mnt.resolve("null"), Posix.O_WRONLY, 0);
  }

  /**
   * The effective uid uid 1000 gets from the setuid-root id in the lower, in the upper (placed
   * there before the mount) and in one root copied into the mount and made setuid there.
   */
  private static Map<String, String> effectiveUids(Map<String, Path> mounts) throws IOException, InterruptedException {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, Path> m : mounts.entrySet()) {
      Path made = m.getValue().resolve("id-made");
      setuidCopyOfId(made);
      List<String> euids = new ArrayList<>();
      for (String program : List.of(SETUID_ID, "id-upper", "id-made")) {
        Command c = AsUser.sh(AsUser.ALICE, "'" + m.getValue().resolve(program) + "' -u");
        assertThat(c.status()).as(m.getKey() + ": " + program + " as uid 1000: " + c.output()).isZero();
        euids.add(c.output().strip());
      }
      out.put(m.getKey(), String.join(" ", euids));
    }
    return out;
  }

  /** fuse-overlayfs and strata-overlay over the lower, each with an upper of its own. */
  private Map<String, Path> mountBoth(FuseMount.Transport transport, String options)
      throws IOException, InterruptedException {
    Map<String, Path> out = new LinkedHashMap<>();
    out.put("fuse-overlayfs", mountFuseOverlayfs(options));
    out.put("strata-overlay", mountStrataOverlay(transport, options));
    return out;
  }

  private Path mountFuseOverlayfs(String options) throws IOException, InterruptedException {
    return mount("fuse-overlayfs", List.of(FUSE_OVERLAYFS), Map.of(), options);
  }

  private Path mountStrataOverlay(FuseMount.Transport transport, String options)
      throws IOException, InterruptedException {
    return mount("strata-overlay", Arrays.asList(Overlay.STRATA_OVERLAY.split("\\s+")),
        Map.of("STRATA_FUSE_TRANSPORT", transport.name().toLowerCase(Locale.ROOT)), options);
  }

  /**
   * Mounts the lower with an upper of its own that holds a setuid-root id-upper, giving the
   * program nothing but lowerdir, upperdir, workdir and {@code options}.
   */
  private Path mount(String name, List<String> program, Map<String, String> env, String options)
      throws IOException, InterruptedException {
    Path base = Files.createDirectories(dir.resolve(name + "-" + mounted.size()));
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path upper = Files.createDirectories(base.resolve("upper"));
    setuidCopyOfId(upper.resolve("id-upper"));
    Path work = Files.createDirectories(base.resolve("work"));
    Path mnt = Files.createDirectories(base.resolve("mnt"));
    List<String> command = new ArrayList<>(program);
    command.addAll(List.of("-o", "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work
        + (options.isEmpty() ? "" : "," + options), mnt.toString()));
    Overlay.runMountProgram(command, env, mnt);
    mounted.add(mnt);
    return mnt;
  }

  /** A root-owned copy of /usr/bin/id with the set-user-id bit: mode 4755. */
  private static void setuidCopyOfId(Path to) throws IOException, InterruptedException {
    Command.check("cp", "/usr/bin/id", to.toString());
    Command.check("chown", "0:0", to.toString());
    Command.check("chmod", "4755", to.toString());
  }
}
