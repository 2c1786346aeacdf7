package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strata.host.TestUser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * podman and buildah with strata-overlay as their overlay driver's {@code mount_program}, as
 * their users configure it (storage.conf), rootful and rootless: rootless runs as a user the test
 * makes, with a subordinate id range, where podman runs the mount program as root of its user
 * namespace. Each engine runs with an empty environment (no locale) and its own storage, and the
 * container's root is checked to be a Strata mount, so nothing passes on the engine's own overlay.
 */
class ContainerEnginesTest {
  private static final String USER = "strata-engines";
  /**
   * Limits within the hard limits the tests run under: podman's defaults pass them, which only a
   * root with CAP_SYS_RESOURCE may (these machines' root lacks it).
   */
  private static final List<String> LIMITS = List.of("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024");

  @TempDir Path dir;
  private String fuseMode;
  private TestUser user;
  private Engine engine;
  private Path runtime;
  /** This test's classes where the test user can read them, copied by {@link #engine}. */
  private String classpath;
  private Path image;

  @BeforeEach
  void setUp() throws Exception {
    Path debian = TestImages.debian();
    assumeTrue(debian != null, "the Debian image is built by scripts/test.sh (needs root and debootstrap)");
    // Debian's udev opens /dev/fuse to everyone; these machines do not. Restored after.
    fuseMode = Commands.run(List.of("stat", "-c", "%a", "/dev/fuse")).trim();
    Commands.run(List.of("chmod", "0666", "/dev/fuse"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    image = dir.resolve("debian");
    Commands.run(List.of("cp", "-a", debian.toString(), image.toString()));
    Commands.run(List.of("chmod", "-R", "a+rX", image.toString()));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (engine != null) {
      // Unmounts what is left, ends rootless podman's pause process, removes the storage.
      engine.exec("podman", "system", "reset", "-f");
    }
    if (runtime != null) {
      stopMountServers(runtime);
      Commands.run(List.of("rm", "-rf", runtime.toString()));
    }
    if (fuseMode != null) {
      Commands.run(List.of("chmod", fuseMode, "/dev/fuse"));
    }
  }

  /**
   * A shell command that mounts the kernel's overlay read-only at {@code at} (made, beside a
   * directory of layers), with {@code userxattr} as a user namespace's root must: {@code upper}
   * on top of the layers of the minbase image of the OCI layout {@code image}, unpacked with tar
   * (device nodes, which the namespace may not make, left out: nothing here reads them).
   */
  private static String kernelOverlay(Path image, Path upper, Path at) {
    String blobs = image.resolve("blobs/sha256").toString();
    String layers = at + "-layers";
    return "mkdir -p " + at + " " + layers + " && m=$(jq -r '.manifests[] | select(.annotations[\"org.opencontainers.image"
        + ".ref.name\"] == \"minbase\") | .digest' " + image.resolve("index.json") + " | cut -d: -f2) && lowers= && n=0"
        + " && for l in $(jq -r '.layers[].digest' " + blobs + "/$m | cut -d: -f2); do n=$((n+1)); mkdir " + layers
        + "/$n; tar -xf " + blobs + "/$l -C " + layers + "/$n --exclude='./dev/*' 2>/dev/null; lowers=" + layers
        + "/$n${lowers:+:$lowers}; done && mount -t overlay -o ro,userxattr,lowerdir=" + upper + ":$lowers overlay " + at;
  }

  /** Stops the shared mount servers whose directory is under {@code runtime} (they serve no mount after a reset). */
  static void stopMountServers(Path runtime) throws Exception {
    List<ProcessHandle> servers = ProcessHandle.allProcesses()
        .filter(h -> h.info().arguments().map(a -> a.length > 0 && List.of(a).contains(dev.strata.fuse.MountServer.class.getName())
            && a[a.length - 1].startsWith(runtime.toString())).orElse(false))
        .toList();
    for (ProcessHandle h : servers) {
      h.destroy();
    }
    for (ProcessHandle h : servers) {
      h.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  @Test
  void rootlessPodmanRunsAndCommitsOnStrata() throws Exception {
    Engine podman = engine(true);
    runAndCommit(podman);
  }

  @Test
  void rootfulPodmanRunsAndCommitsOnStrata() throws Exception {
    Engine podman = engine(false);
    runAndCommit(podman);
  }

  @Test
  void rootlessBuildahBuildsARunStepOnStrata() throws Exception {
    build(engine(true));
  }

  @Test
  void rootfulBuildahBuildsARunStepOnStrata() throws Exception {
    build(engine(false));
  }

  /**
   * strata itself as root of rootless podman's user namespace ({@code podman unshare}), where
   * its name is root and its privileges are not the host's: it mounts, the mount lets the
   * namespace's other users in, writes keep the owners the namespace maps, a directory of the
   * image can be renamed (copied: the userxattr format has no redirects), the kernel's overlay
   * (userxattr, in the namespace) reads the upper as Strata shows it, and the container commits.
   */
  @Test
  void strataMountsAndCommitsAsRootOfAUserNamespace() throws Exception {
    Engine e = engine(true);
    Path store = Files.createDirectories(dir.resolve("strata-store"));
    Path mnt = Files.createDirectories(dir.resolve("mnt"));
    Path kernel = Files.createDirectories(dir.resolve("kernel-ns")).resolve("mnt");
    Commands.run(List.of("chown", USER, mnt.toString(), store.toString(), kernel.getParent().toString()));
    String strata = "'" + Path.of(System.getProperty("java.home"), "bin", "java") + "' -cp '"
        + classpath + "' " + Main.class.getName() + " --store " + store;
    String script = strata + " pull oci:" + image + ":minbase deb >/dev/null && " + strata + " mount --name c deb " + mnt
        + " >/dev/null && grep ' " + mnt + " ' /proc/self/mountinfo; echo --; "
        + "echo hi > " + mnt + "/root/hi && chown 7:7 " + mnt + "/root/hi && mv " + mnt + "/usr/share/doc " + mnt
        + "/usr/share/doc2 && su -s /bin/sh -c 'ls " + mnt + "/usr/share/doc2/apt/copyright' nobody; echo --; "
        + strata + " umount " + mnt + " >/dev/null && " + kernelOverlay(image, store.resolve("containers/c/upper"), kernel)
        + " && ls -n " + kernel + "/root/hi " + kernel + "/usr/share/doc2/apt/copyright && ls -a " + kernel
        + "/usr/share && umount " + kernel + "; echo --; "
        + strata + " commit c deb2 >/dev/null && " + strata + " tree deb2";
    Commands.Result r = e.exec("podman", "unshare", "/bin/sh", "-c", script);
    String[] parts = r.out().split("--\n");
    assertThat(parts).as(r.out() + r.err()).hasSize(4);
    assertThat(parts[0]).as("a mount the namespace's other users may enter").contains(" - fuse.strata ")
        .contains("allow_other");
    assertThat(parts[1]).as("nobody, a subordinate uid, reads the mount").isEqualTo(mnt
        + "/usr/share/doc2/apt/copyright\n");
    // The upper alone through the kernel: the whiteout hides nothing below, the copied
    // directory is whole (the kernel refuses a redirect it finds with userxattr: EPERM).
    assertThat(parts[2]).as(r.err()).containsPattern("(?m)^-rw-r--r-- 1 7 7 +3 .* " + kernel + "/root/hi$")
        .contains(kernel + "/usr/share/doc2/apt/copyright\n").contains("\ndoc2\n").doesNotContain("\ndoc\n");
    assertThat(parts[3]).containsPattern("(?m)^-rw-r--r-- +7/7 .* /root/hi$")
        .containsPattern("(?m)^d.* /usr/share/doc2$").doesNotContainPattern("(?m) /usr/share/doc$");
    // The upper is in the userxattr format: no trusted.* (the namespace's root may not write
    // it), no redirect, the old name a whiteout.
    Path upper = store.resolve("containers/c/upper");
    assertThat(Commands.run(List.of("getfattr", "-d", "-m", "-", "--absolute-names", upper.resolve("usr/share/doc2")
        .toString()))).doesNotContain("redirect").doesNotContain("trusted.");
    assertThat(Commands.run(List.of("stat", "-c", "%F %t:%T", upper.resolve("usr/share/doc").toString())))
        .isEqualTo("character special file 0:0\n");
  }

  /**
   * A container writes a file, chowns it, deletes a file of the image, renames a directory of
   * the image and runs a setuid program as another user; it is committed, and the new image shows
   * all of it.
   */
  private void runAndCommit(Engine e) throws Exception {
    pull(e, "podman");
    String script = "grep ' / / ' /proc/self/mountinfo; echo --; "
        + "echo made > /root/made && chown 1234:5678 /root/made && ls -ln /root/made; echo --; "
        + "rm /etc/motd && ls /etc/motd; echo --; "
        + "mv /usr/share/doc /usr/share/doc2 && ls -d /usr/share/doc2 && ls /usr/share/doc2/apt/copyright; echo --; "
        + "cp /usr/bin/id /usr/local/bin/sid && chmod 4755 /usr/local/bin/sid "
        + "&& su -s /bin/sh -c /usr/local/bin/sid nobody";
    Commands.Result run = e.run("--name", "c1", "localhost/debian", "/bin/sh", "-c", script);
    String[] parts = run.out().split("--\n");
    assertThat(parts).as(run.out() + run.err()).hasSize(5);
    assertThat(parts[0]).as("the container's root").contains(" - fuse.strata ");
    assertThat(parts[1]).containsPattern("(?m)^-rw-r--r-- 1 1234 5678 5 .* /root/made$");
    assertThat(parts[2]).isEmpty();
    assertThat(run.err()).contains("cannot access '/etc/motd': No such file or directory");
    assertThat(parts[3]).startsWith("/usr/share/doc2\n/usr/share/doc2/apt/copyright\n");
    assertThat(parts[4]).as("the setuid program runs as its owner").contains("uid=65534(nobody)")
        .contains("euid=0(root)");

    e.ok("podman", "commit", "-q", "c1", "localhost/committed");
    e.ok("podman", "rm", "c1");
    Commands.Result after = e.run("--rm", "localhost/committed", "/bin/sh", "-c",
        "ls -ln /root/made; cat /root/made; ls /etc/motd /usr/share/doc; ls -ld /usr/share/doc2 /usr/local/bin/sid");
    assertThat(after.out()).containsPattern("(?m)^-rw-r--r-- 1 1234 5678 5 .* /root/made$")
        .contains("made\n").containsPattern("(?m)^-rwsr-xr-x .* /usr/local/bin/sid$")
        .containsPattern("(?m)^d.* /usr/share/doc2$");
    assertThat(after.err()).contains("cannot access '/etc/motd': No such file or directory")
        .contains("cannot access '/usr/share/doc': No such file or directory");
  }

  /** buildah bud of a Containerfile whose RUN step changes the image; the result runs. */
  private void build(Engine e) throws Exception {
    pull(e, "buildah");
    Path context = Files.createDirectories(dir.resolve("context"));
    Files.writeString(context.resolve("Containerfile"), "FROM localhost/debian\n"
        + "RUN grep ' / / ' /proc/self/mountinfo > /root/mounted && echo built > /built && rm /etc/motd"
        + " && mv /usr/share/doc /usr/share/doc2\n", StandardCharsets.UTF_8);
    Commands.run(List.of("chmod", "-R", "a+rX", context.toString()));
    List<String> bud = new ArrayList<>(List.of("buildah", "bud", "--network", "none", "--isolation", "oci"));
    bud.addAll(LIMITS);
    bud.addAll(List.of("-q", "-t", "localhost/built", "-f", context.resolve("Containerfile").toString(),
        context.toString()));
    e.ok(bud.toArray(String[]::new));
    Commands.Result run = e.run("--rm", "localhost/built", "/bin/sh", "-c", "cat /root/mounted /built; ls /etc/motd /usr/share/doc; ls -d /usr/share/doc2");
    assertThat(run.out()).as("the RUN step's root").contains(" - fuse.strata ").contains("built\n")
        .contains("/usr/share/doc2\n");
    assertThat(run.err()).contains("cannot access '/etc/motd': No such file or directory")
        .contains("cannot access '/usr/share/doc': No such file or directory");
  }

  /** Pulls the Debian image with {@code tool} and names it localhost/debian. */
  private void pull(Engine e, String tool) throws Exception {
    Commands.Result pulled = e.exec(tool, "pull", "-q", "oci:" + image + ":minbase");
    assertThat(pulled.exit()).as(pulled.out() + pulled.err()).isZero();
    e.ok(tool, "tag", pulled.out().trim(), "localhost/debian");
  }

  /** How to run podman and buildah: as whom, with which configuration. */
  private record Engine(List<String> prefix, Map<String, String> env) {
    Commands.Result exec(String... args) throws Exception {
      List<String> cmd = new ArrayList<>(prefix);
      env.forEach((k, v) -> cmd.add(k + "=" + v));
      cmd.addAll(List.of(args));
      return Commands.exec(cmd, Map.of());
    }

    /** podman run, without a network and within the test's limits, then {@code args}. */
    Commands.Result run(String... args) throws Exception {
      List<String> cmd = new ArrayList<>(List.of("podman", "run", "--network", "none"));
      cmd.addAll(LIMITS);
      cmd.addAll(List.of(args));
      return exec(cmd.toArray(String[]::new));
    }

    void ok(String... args) throws Exception {
      Commands.Result r = exec(args);
      assertThat(r.exit()).as(String.join(" ", args) + "\n" + r.out() + r.err()).isZero();
    }
  }

  /**
   * An engine with storage of its own under the test's directory and bin/strata-overlay (over
   * this test's classes, readable by the user) as the overlay driver's mount program; rootless as the test
   * user, with a runtime directory of its own, the way a login session gives one.
   */
  private Engine engine(boolean rootless) throws Exception {
    classpath = TestUser.readableClasspath(dir);
    Path program = dir.resolve("strata-overlay");
    // The launcher users configure, over this test's classes.
    Path launcher = TestImages.repo().resolve("bin/strata-overlay");
    Path storage = Files.createDirectories(dir.resolve("storage"));
    // Short and on tmpfs: conmon's sockets under the run root must fit a socket path's 108
    // bytes, or every container start waits for conmon's 20-second timeout.
    runtime = Files.createTempDirectory(Path.of("/run"), "strata-engines-");
    // The mount servers the launcher starts live in the test's runtime directory, to be stopped after.
    Files.writeString(program, "#!/bin/sh\nSTRATA_CLASSPATH='" + classpath + "' STRATA_RUNTIME_DIR='" + runtime
        + "/strata' exec '" + launcher + "' \"$@\"\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(dir.resolve("storage.conf"), "[storage]\ndriver = \"overlay\"\n"
        + "graphroot = \"" + storage + "/graph\"\nrunroot = \"" + runtime + "/containers\"\n"
        + "[storage.options.overlay]\nmount_program = \"" + program + "\"\n", StandardCharsets.UTF_8);
    // cgroupfs: no systemd here; events to a file: no journald.
    Files.writeString(dir.resolve("containers.conf"), "[containers]\n[engine]\ncgroup_manager = \"cgroupfs\"\n"
        + "events_logger = \"file\"\nruntime = \"runc\"\n", StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("registries.conf"), "unqualified-search-registries = []\n", StandardCharsets.UTF_8);
    Commands.run(List.of("chmod", "a+r", dir.resolve("storage.conf").toString(), dir.resolve("containers.conf").toString(),
        dir.resolve("registries.conf").toString()));
    List<String> prefix = new ArrayList<>();
    Map<String, String> env = new java.util.LinkedHashMap<>();
    env.put("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
    env.put("CONTAINERS_STORAGE_CONF", dir.resolve("storage.conf").toString());
    env.put("CONTAINERS_CONF", dir.resolve("containers.conf").toString());
    env.put("CONTAINERS_REGISTRIES_CONF", dir.resolve("registries.conf").toString());
    if (rootless) {
      user = TestUser.ensure(USER);
      Commands.run(List.of("chown", "-R", USER, storage.toString(), runtime.toString()));
      Commands.run(List.of("chmod", "0700", runtime.toString()));
      prefix.addAll(List.of("runuser", "-u", USER, "--", "env", "-i"));
      env.put("HOME", user.home().toString());
      env.put("XDG_RUNTIME_DIR", runtime.toString());
    } else {
      prefix.addAll(List.of("env", "-i"));
      env.put("HOME", "/root");
    }
    engine = new Engine(prefix, env);
    return engine;
  }
}
