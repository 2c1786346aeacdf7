package dev.strata.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.fuse.MountRegistry;
import dev.strata.fuse.Mounts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path a container takes: the tiny busybox image mounted by strata and run in
 * strata run's sandbox (runc, a user namespace), a shell changing it, the changes committed as a layer, the new image carried to
 * a second store and unpacked by umoci (the oracle for what the layer says). Plus the faults
 * a mount must survive: its server killed, the mount point reused.
 */
class ContainerTest {
  private static final int TAR_FILES = 5000;

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

  private Path store() throws Exception {
    Path store = dir.resolve("store");
    if (!Files.exists(store)) {
      Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
    }
    return store;
  }

  private Path mountPoint(String name) throws IOException {
    Path mp = Files.createDirectories(dir.resolve(name));
    mounts.add(mp);
    return mp;
  }

  /** Runs strata in its own JVM with {@code stdin} as its input; returns exit code and output. */
  private Commands.Result strata(Path store, Path stdin, String... args) throws Exception {
    Path log = Files.createTempFile(dir, "strata-", ".log");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName(), "--store", store.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.redirectInput(stdin != null ? stdin.toFile() : new java.io.File("/dev/null"));
    Process p = pb.start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("strata " + String.join(" ", args) + " did not finish");
    }
    return new Commands.Result(p.exitValue(), Files.readString(log), "");
  }

  /** A tar of {@code TAR_FILES} small files under {@code many/}, made by GNU tar on the host. */
  private Path manyFilesTar() throws Exception {
    Path src = Files.createDirectories(dir.resolve("tar-src/many"));
    for (int i = 0; i < TAR_FILES; i++) {
      Files.writeString(src.resolve(String.format("f%04d", i)), "file " + i + "\n");
    }
    Path tar = dir.resolve("many.tar");
    Commands.run(List.of("tar", "-C", dir.resolve("tar-src").toString(), "-cf", tar.toString(), "many"));
    return tar;
  }

  @Test
  void aShellInAContainerChangesTheImageAndTheCommittedLayerSaysExactlyThat() throws Exception {
    Path store = store();
    String script = String.join("\n",
        "set -e",
        "echo hello > /root/new.txt",
        "rm /etc/motd",
        "mv /home/user /home/person",
        "chmod 600 /etc/passwd",
        "rm -r /opt/app",
        "ln /etc/group /etc/group2",
        "mkdir -p /srv && tar -xf - -C /srv",
        "echo \"$(ls /srv/many | wc -l) files\"",
        "cat /home/person/hello.txt",
        "exit 7");
    Commands.Result run = strata(store, manyFilesTar(), "run", "--name", "c1", "tiny", "--", "/bin/sh", "-c", script);
    assertThat(run.exit()).as(run.out()).isEqualTo(7); // the command's exit code comes through
    assertThat(run.out()).contains(TAR_FILES + " files");

    Strata.run(store, "commit", "c1", "tiny-changed").assertOk();
    Path layout = dir.resolve("layout");
    Strata.run(store, "push", "tiny-changed", "oci:" + layout + ":changed").assertOk();
    Path second = dir.resolve("second-store");
    Strata.run(second, "pull", "oci:" + layout + ":changed", "changed").assertOk();

    // umoci, flattening the layers itself, sees exactly what the shell did.
    Path bundle = dir.resolve("bundle");
    Commands.run(List.of("umoci", "unpack", "--image", layout + ":changed", bundle.toString()));
    Path rootfs = bundle.resolve("rootfs");
    assertThat(Files.readString(rootfs.resolve("root/new.txt"))).isEqualTo("hello\n");
    assertThat(rootfs.resolve("etc/motd")).doesNotExist();
    assertThat(rootfs.resolve("home/user")).doesNotExist();
    assertThat(rootfs.resolve("home/person/hello.txt")).exists();
    assertThat(rootfs.resolve("opt/app")).doesNotExist();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(rootfs.resolve("etc/passwd"))))
        .isEqualTo("rw-------");
    assertThat(Files.getAttribute(rootfs.resolve("etc/group2"), "unix:ino"))
        .isEqualTo(Files.getAttribute(rootfs.resolve("etc/group"), "unix:ino"));
    try (Stream<Path> many = Files.list(rootfs.resolve("srv/many"))) {
      assertThat(many.count()).isEqualTo(TAR_FILES);
    }
    assertThat(Files.readString(rootfs.resolve("srv/many/f4321"))).isEqualTo("file 4321\n");

    // And strata's own mount of the pulled image shows the same tree as umoci's rootfs.
    Path mp = mountPoint("view");
    Strata.run(second, "mount", "--read-only", "changed", mp.toString()).assertOk();
    Commands.Result diff = Commands.exec(List.of("diff", "-r", "--no-dereference", rootfs.toString(), mp.toString()),
        Map.of());
    Strata.run(second, "umount", mp.toString()).assertOk();
    assertThat(diff.out() + diff.err()).isEmpty();
  }

  /**
   * The same path with Debian: dpkg purges a package and installs a .deb built in the
   * container, apt-get checks the result. Runs where the Debian image was built (CI builds it).
   */
  @Test
  void dpkgAndAptInDebianAreCommittedAsUmociSeesThem() throws Exception {
    Path debian = TestImages.debian();
    org.junit.jupiter.api.Assumptions.assumeTrue(debian != null,
        "the Debian image is built by scripts/make-images.sh --debootstrap (scripts/test.sh does)");
    Path store = dir.resolve("debian-store");
    Strata.run(store, "pull", "oci:" + debian + ":minbase", "debian").assertOk();
    String script = String.join("; ",
        "set -e",
        "test \"$(dpkg -l | grep -c ^ii)\" -gt 50",
        "dpkg --purge --force-all e2fsprogs",
        "mkdir -p /root/pkg/DEBIAN /root/pkg/usr/share/strata-test",
        "printf 'Package: strata-test\\nVersion: 1.0\\nArchitecture: all\\nMaintainer: t <t@example.org>\\n"
            + "Description: test\\n' > /root/pkg/DEBIAN/control",
        "echo payload > /root/pkg/usr/share/strata-test/file",
        "dpkg-deb --build /root/pkg /root/strata-test.deb",
        "dpkg -i /root/strata-test.deb",
        "rm -r /root/pkg /root/strata-test.deb",
        "apt-get check",
        "dpkg -l strata-test e2fsprogs");
    Commands.Result run = strata(store, null, "run", "--name", "deb", "debian", "--", "/bin/sh", "-c", script);
    assertThat(run.exit()).as(run.out()).isZero();
    assertThat(run.out()).containsPattern("un +e2fsprogs").containsPattern("ii +strata-test +1.0");

    Strata.run(store, "commit", "deb", "debian-changed").assertOk();
    Path layout = dir.resolve("debian-layout");
    Strata.run(store, "push", "debian-changed", "oci:" + layout + ":changed").assertOk();
    Path bundle = dir.resolve("debian-bundle");
    Commands.run(List.of("umoci", "unpack", "--image", layout + ":changed", bundle.toString()));
    Path rootfs = bundle.resolve("rootfs");
    assertThat(rootfs.resolve("sbin/mke2fs")).doesNotExist();
    assertThat(Files.readString(rootfs.resolve("usr/share/strata-test/file"))).isEqualTo("payload\n");
    assertThat(Files.readString(rootfs.resolve("var/lib/dpkg/status")))
        .contains("Package: strata-test").doesNotContain("Package: e2fsprogs\n");

    Path mp = mountPoint("debian-view");
    Strata.run(store, "mount", "--read-only", "debian-changed", mp.toString()).assertOk();
    // diff compares contents but not device nodes; the listing compares types, modes and owners.
    Commands.Result diff = Commands.exec(List.of("diff", "-r", "--no-dereference", "-x", "dev", rootfs.toString(),
        mp.toString()), Map.of());
    String umociListing = listing(rootfs);
    String strataListing = listing(mp);
    Strata.run(store, "umount", mp.toString()).assertOk();
    assertThat(diff.out() + diff.err()).isEmpty();
    assertThat(strataListing).isEqualTo(umociListing);
  }

  /** Every entry under {@code root}: type, mode, owner, size (files), link target, path. */
  private static String listing(Path root) throws Exception {
    String out = Commands.run(List.of("find", root.toString(), "-mindepth", "1", "-printf", "%y %m %U %G %l %P\n"));
    return out.lines().sorted().collect(java.util.stream.Collectors.joining("\n"));
  }

  @Test
  void runWithRmLeavesNoContainerAndStdinReachesTheCommand() throws Exception {
    Path store = store();
    Path input = Files.writeString(dir.resolve("input"), "through stdin\n");
    Commands.Result run = strata(store, input, "run", "--rm", "--name", "gone", "tiny", "--", "/bin/sh", "-c",
        "cat > /root/in; cat /root/in");
    assertThat(run.exit()).as(run.out()).isZero();
    assertThat(run.out()).contains("through stdin");
    assertThat(store.resolve("containers/gone")).doesNotExist();
  }

  @Test
  void aKilledServerLeavesTheFsyncedWritesAndTheMountPointIsReusable() throws Exception {
    Path store = store();
    Path mp = mountPoint("mnt");
    Strata.run(store, "mount", "--name", "c2", "tiny", mp.toString()).assertOk();
    Commands.run(List.of("dd", "if=/dev/urandom", "of=" + mp.resolve("root/data.bin"), "bs=64k", "count=16",
        "conv=fsync", "status=none"));
    byte[] written = Files.readAllBytes(mp.resolve("root/data.bin"));
    ProcessHandle server = MountRegistry.server(mp).orElseThrow();
    server.destroyForcibly();
    server.onExit().get(30, TimeUnit.SECONDS);

    // The upper holds what was fsynced; the dead mount answers ENOTCONN until cleared.
    assertThat(Files.readAllBytes(store.resolve("containers/c2/upper/root/data.bin"))).isEqualTo(written);
    assertThat(Mounts.isFuseMounted(mp)).isTrue();
    Strata.run(store, "umount", mp.toString()).assertOk();
    assertThat(Mounts.at(mp)).isEmpty();

    Strata.run(store, "mount", "--name", "c2", "tiny", mp.toString()).assertOk();
    assertThat(Files.readAllBytes(mp.resolve("root/data.bin"))).isEqualTo(written);
    Strata.run(store, "umount", mp.toString()).assertOk();
    assertThat(Mounts.at(mp)).isEmpty();
  }

  @Test
  void aMountedContainerCannotBeCommittedOrMountedTwice() throws Exception {
    Path store = store();
    Path mp = mountPoint("busy");
    Path other = mountPoint("other");
    Strata.run(store, "mount", "--name", "c3", "tiny", mp.toString()).assertOk();
    try {
      Strata.Run commit = Strata.run(store, "commit", "c3", "x");
      assertThat(commit.exit()).isEqualTo(1);
      assertThat(commit.err()).contains("container 'c3' is in use");
      Strata.Run again = Strata.run(store, "mount", "--name", "c3", "tiny", other.toString());
      assertThat(again.exit()).isEqualTo(1);
      assertThat(Mounts.at(other)).isEmpty();
    } finally {
      Strata.run(store, "umount", mp.toString()).assertOk();
    }
    assertThat(Files.isSymbolicLink(mp)).isFalse();
    assertThat(Files.exists(mp, LinkOption.NOFOLLOW_LINKS)).isTrue();
    Strata.run(store, "commit", "c3", "x").assertOk();
  }

  @Test
  void aContainerKeepsItsImageThroughRmiAndGcUntilItIsRemoved() throws Exception {
    Path store = store();
    Strata.run(store, "run", "--name", "keeper", "tiny", "--", "/bin/true");
    Strata.run(store, "rmi", "tiny").assertOk();
    Strata.run(store, "gc").assertOk();
    assertThat(Strata.run(store, "containers").assertOk().out()).contains("keeper").contains("tiny");
    Path mp = mountPoint("kept");
    Strata.run(store, "mount", "--name", "keeper", "tiny", mp.toString()); // no image named tiny now
    assertThat(Mounts.at(mp)).isEmpty();
    Strata.run(store, "commit", "keeper", "revived").assertOk(); // the image lives on in the container
    Strata.run(store, "rm", "keeper").assertOk();
    assertThat(store.resolve("containers/keeper")).doesNotExist();
    Strata.run(store, "fsck").assertOk();
  }
}
