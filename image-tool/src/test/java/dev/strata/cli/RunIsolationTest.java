package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What issue 11's attacker did from inside {@code strata run}, tried again and refused: the
 * container is root of a user namespace of its own (not the host's uid_map), holds podman's
 * default capabilities (containers-common's containers.conf, decoded by capsh, is the oracle),
 * cannot gain privileges through setuid files, cannot write /proc/sys (the host's core_pattern
 * stays), finds podman's masked paths empty, cannot mount, has no network but lo, and runs
 * under containers-common's seccomp filter as podman applies it. The
 * image's User runs the command; files it makes look owned by its ids inside and are
 * committed with them (GNU tar reads the layer). The flags that ask for more give it. As root.
 */
class RunIsolationTest {
  /** Podman's masked and read-only paths (its specgen, 4.3): those this host has are checked. */
  private static final List<String> MASKED = List.of("/proc/acpi", "/proc/kcore", "/proc/keys",
      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
      "/sys/firmware", "/sys/fs/selinux", "/sys/dev/block");
  private static final List<String> READ_ONLY = List.of("/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq",
      "/proc/sys", "/proc/sysrq-trigger");

  @TempDir static Path shared;
  private static Path store;
  private static boolean debianPulled;

  @TempDir Path dir;

  @BeforeAll
  static void images() throws Exception {
    store = shared.resolve("store");
    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
    // An image whose User is set, whose /etc/passwd is a link that leads out of the image on
    // the host (the host has no /usr/lib/strata-test-pw) and in the image to its own file, and
    // whose /etc/group gives its user a supplementary group. Made by GNU tar and umoci.
    Path tree = Files.createDirectories(shared.resolve("tree"));
    Files.createDirectories(tree.resolve("etc"));
    Files.createDirectories(tree.resolve("usr/lib"));
    Files.writeString(tree.resolve("usr/lib/strata-test-pw"), "root:x:0:0:root:/root:/bin/sh\n"
        + "app:x:4321:4322:app:/srv/app:/bin/sh\n");
    Files.createSymbolicLink(tree.resolve("etc/passwd"), Path.of("../../../../../../../usr/lib/strata-test-pw"));
    Files.writeString(tree.resolve("etc/group"), "root:x:0:\napp:x:4322:\nextra:x:777:someone,app\nother:x:778:\n");
    Path layer = shared.resolve("user.tar");
    Commands.run(List.of("tar", "--numeric-owner", "-C", tree.toString(), "-cf", layer.toString(), "etc", "usr"));
    Path layout = shared.resolve("layout");
    Commands.run(List.of("cp", "-a", TestImages.tiny().toString(), layout.toString()));
    Commands.run(List.of("umoci", "raw", "add-layer", "--image", layout + ":3layer", "--tag", "app", layer.toString()));
    Commands.run(List.of("umoci", "config", "--image", layout + ":app", "--config.user", "app"));
    Strata.run(store, "pull", "oci:" + layout + ":app", "app").assertOk();
  }

  /** Runs {@code script} in a new container of {@code image} (flags before it); exit and output. */
  private static Commands.Result sh(String image, String script, String... flags) throws Exception {
    List<String> args = new ArrayList<>(List.of("--rm"));
    args.addAll(List.of(flags));
    return StrataProcess.shell(store, image, script, args);
  }

  private static String ok(Commands.Result r) {
    assertThat(r.exit()).as(r.out()).isZero();
    return r.out();
  }

  /** The value of {@code field} in a /proc/self/status the container printed. */
  private static String status(String out, String field) {
    Matcher m = Pattern.compile("(?m)^" + field + ":\\s*(\\S+)").matcher(out);
    assertThat(m.find()).as("%s in %s", field, out).isTrue();
    return m.group(1);
  }

  /** The capabilities of a hex mask, named by capsh (libcap's own decoder). */
  private static Set<String> decode(String hex) throws Exception {
    String out = Commands.run(List.of("capsh", "--decode=" + hex)).trim();
    String names = out.substring(out.indexOf('=') + 1);
    return names.isEmpty() ? Set.of() : new TreeSet<>(Arrays.asList(names.split(",")));
  }

  /** containers-common's default_capabilities: what podman gives a container. */
  private static Set<String> podmanDefaultCapabilities() throws Exception {
    String conf = Files.readString(Path.of("/usr/share/containers/containers.conf"));
    Matcher list = Pattern.compile("(?m)^default_capabilities\\s*=\\s*\\[([^\\]]*)\\]").matcher(conf);
    assertThat(list.find()).as("default_capabilities in containers.conf").isTrue();
    Set<String> caps = new TreeSet<>();
    Matcher name = Pattern.compile("\"([A-Z_]+)\"").matcher(list.group(1));
    while (name.find()) {
      caps.add("cap_" + name.group(1).toLowerCase(java.util.Locale.ROOT));
    }
    assertThat(caps).hasSizeGreaterThan(5);
    return caps;
  }

  @Test
  void theContainerIsRootOfAUserNamespaceOfItsOwnIdsNotOfTheHosts() throws Exception {
    String out = ok(sh("tiny", "cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; echo --; id -u; id -g"));
    String[] parts = out.split("--\n");
    for (String map : List.of(parts[0], parts[1])) {
      List<String> lines = map.lines().map(String::trim).filter(l -> !l.isEmpty()).toList();
      assertThat(lines).hasSize(1);
      String[] f = lines.get(0).split("\\s+");
      assertThat(f[0]).isEqualTo("0");
      assertThat(Long.parseLong(f[1])).as("the host id of the container's root").isGreaterThanOrEqualTo(65536);
      assertThat(f[2]).isEqualTo("65536").isNotEqualTo("4294967295");
    }
    assertThat(parts[2].lines().toList()).containsExactly("0", "0");
  }

  @Test
  void itHoldsPodmansDefaultCapabilitiesAndCannotGainMore() throws Exception {
    String out = ok(sh("tiny", "cat /proc/self/status"));
    Set<String> podman = podmanDefaultCapabilities();
    assertThat(decode(status(out, "CapEff"))).isEqualTo(podman);
    assertThat(decode(status(out, "CapPrm"))).isEqualTo(podman);
    assertThat(decode(status(out, "CapBnd"))).isEqualTo(podman);
    assertThat(decode(status(out, "CapInh"))).isEmpty();
    assertThat(decode(status(out, "CapAmb"))).isEmpty();
    assertThat(status(out, "NoNewPrivs")).isEqualTo("1");
  }

  @Test
  void procSysIsReadOnlyAndTheHostsCorePatternStaysAsItWas() throws Exception {
    Path corePattern = Path.of("/proc/sys/kernel/core_pattern");
    String before = Files.readString(corePattern);
    Commands.Result r = sh("tiny", "echo '|/bin/sh -c id>/tmp/pwned' > /proc/sys/kernel/core_pattern");
    assertThat(r.exit()).isNotZero();
    assertThat(r.out()).contains("Read-only file system");
    assertThat(Files.readString(corePattern)).isEqualTo(before);
    // The container's own hostname (its UTS namespace) is behind /proc/sys too.
    r = sh("tiny", "echo changed > /proc/sys/kernel/hostname");
    assertThat(r.out()).contains("Read-only file system");
    // Every read-only path of podman's this kernel has is a read-only mount of its own.
    String mounts = ok(sh("tiny", "cat /proc/self/mountinfo"));
    for (String p : READ_ONLY) {
      if (Files.exists(Path.of(p))) {
        assertThat(mountOptions(mounts, p)).as(p).contains("ro");
      }
    }
  }

  /** The per-mount options of the mount at {@code path} in a mountinfo. */
  private static List<String> mountOptions(String mountinfo, String path) {
    for (String line : mountinfo.lines().toList()) {
      String[] f = line.split(" ");
      if (f[4].equals(path)) {
        return List.of(f[5].split(","));
      }
    }
    throw new AssertionError("no mount at " + path + " in\n" + mountinfo);
  }

  @Test
  void kernelPathsArePodmansMaskedOnesEmptyAndTheirMaskStays() throws Exception {
    List<String> here = MASKED.stream().filter(p -> Files.exists(Path.of(p))).toList();
    assertThat(here).as("masked paths this host has").isNotEmpty();
    StringBuilder script = new StringBuilder("cat /proc/self/mountinfo; echo ==;");
    for (String p : here) {
      script.append(Files.isDirectory(Path.of(p)) ? " echo \"" + p + " $(ls -A " + p + " | wc -l)\";"
          : " echo \"" + p + " $(cat " + p + " | wc -c)\";");
    }
    script.append(" umount /proc/keys /sys/firmware 2>&1; echo umount=$?");
    String out = ok(sh("tiny", script.toString()));
    String mountinfo = out.substring(0, out.indexOf("=="));
    for (String p : here) {
      assertThat(out).as(p).contains(p + " 0\n");
      mountOptions(mountinfo, p); // something is mounted over it
    }
    assertThat(out).doesNotContain("umount=0");

    // --privileged masks nothing: the host's timer list and firmware directory show.
    out = ok(sh("tiny", "wc -c < /proc/timer_list; ls -A /sys/firmware | wc -l", "--privileged"));
    List<String> counts = out.lines().map(String::trim).toList();
    assertThat(Long.parseLong(counts.get(0))).isPositive();
    try (Stream<Path> firmware = Files.list(Path.of("/sys/firmware"))) {
      assertThat(Long.parseLong(counts.get(1))).isEqualTo(firmware.count());
    }
  }

  @Test
  void mountingIsRefused() throws Exception {
    Commands.Result r = sh("tiny", "mkdir /tmp/m && mount -t tmpfs none /tmp/m; echo status=$?; "
        + "grep -c ' /tmp/m ' /proc/self/mountinfo");
    assertThat(r.out()).doesNotContain("status=0").contains("\n0\n");
    // --privileged may: as root it is the host's root, with every capability.
    r = sh("tiny", "mkdir /tmp/m && mount -t tmpfs none /tmp/m && grep -c ' /tmp/m ' /proc/self/mountinfo",
        "--privileged");
    assertThat(ok(r).trim()).isEqualTo("1");
  }

  @Test
  void thereIsNoNetworkButLoopbackUnlessTheHostsIsAskedFor() throws Exception {
    assertThat(interfaces(ok(sh("tiny", "cat /proc/net/dev")))).containsExactly("lo");
    Set<String> host = interfaces(Files.readString(Path.of("/proc/net/dev")));
    assertThat(host).hasSizeGreaterThan(1);
    assertThat(interfaces(ok(sh("tiny", "cat /proc/net/dev", "--network", "host")))).isEqualTo(host);
  }

  private static Set<String> interfaces(String procNetDev) {
    return procNetDev.lines().filter(l -> l.contains(":")).map(l -> l.substring(0, l.indexOf(':')).trim())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void theImagesUserRunsTheCommandUnlessUserSaysOtherwise() throws Exception {
    String script = "id -u; id -g; id -G; echo $HOME";
    // The image's passwd, reached through its link inside the image; its group lists the user.
    assertThat(ok(sh("app", script)).lines().toList()).containsExactly("4321", "4322", "4322 777", "/srv/app");
    assertThat(ok(sh("app", script, "--user", "root")).lines().toList()).containsExactly("0", "0", "0", "/root");
    assertThat(ok(sh("app", script, "--user", "app:other")).lines().toList())
        .containsExactly("4321", "778", "778", "/srv/app");
    assertThat(ok(sh("app", script, "--user", "5555")).lines().toList()).containsExactly("5555", "0", "0", "/");
    assertThat(ok(sh("tiny", script, "-u", "1000:1000")).lines().toList())
        .containsExactly("1000", "1000", "1000", "/home/user");
    Commands.Result r = sh("app", script, "--user", "nosuch");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.out()).contains("user 'nosuch': no such user in the image's /etc/passwd");
  }

  @Test
  void filesTheContainerMakesAreItsOwnersInsideAndCommittedUnshifted() throws Exception {
    String script = "set -e; echo made > /root/made; mkdir /srv/u; echo u > /srv/u/f; chown -R 1000:1000 /srv/u; "
        + "ls -ln /root/made /srv/u/f";
    Commands.Result r = StrataProcess.exec(store, Map.of(), "run", "--name", "owners", "tiny", "--", "/bin/sh", "-c",
        script);
    assertThat(ok(r)).containsPattern("-rw-r--r-- +1 0 +0 .* /root/made").containsPattern("1 1000 +1000 .* /srv/u/f");
    Path upper = store.resolve("containers/owners/upper");
    assertThat(owner(upper.resolve("root/made"))).isEqualTo("0:0");
    assertThat(owner(upper.resolve("srv/u/f"))).isEqualTo("1000:1000");

    Strata.run(store, "commit", "owners", "owners-committed").assertOk();
    StoredImage committed = StoredImage.load(Store.open(store), "owners-committed");
    var layers = committed.manifest().layers();
    Path top = store.resolve("blobs").resolve(layers.get(layers.size() - 1).digest().toString().replace(':', '/'));
    String listing = Commands.run(List.of("tar", "--numeric-owner", "-tvzf", top.toString()));
    assertThat(listing).containsPattern("(?m)^-rw-r--r-- 0/0 .* root/made$")
        .containsPattern("(?m)^drwxr-xr-x 1000/1000 .* srv/u/$").containsPattern("(?m)^-rw-r--r-- 1000/1000 .* srv/u/f$");
    Strata.run(store, "rm", "owners").assertOk();
  }

  private static String owner(Path p) throws Exception {
    return Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS) + ":"
        + Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
  }

  @Test
  void capAddCapDropAndPrivilegedGiveWhatTheySay() throws Exception {
    Set<String> podman = podmanDefaultCapabilities();
    String out = ok(sh("tiny", "grep CapEff /proc/self/status; chown 1000 /root; echo chown=$?", "--cap-add",
        "net_raw", "--cap-drop", "CAP_CHOWN"));
    Set<String> expected = new TreeSet<>(podman);
    expected.add("cap_net_raw");
    expected.remove("cap_chown");
    assertThat(decode(status(out, "CapEff"))).isEqualTo(expected);
    assertThat(out).contains("Operation not permitted").doesNotContain("chown=0");

    // A user other than root holds only what is added, as podman gives it.
    out = ok(sh("tiny", "cat /proc/self/status", "--user", "1000", "--cap-add", "NET_BIND_SERVICE"));
    assertThat(decode(status(out, "CapEff"))).containsExactly("cap_net_bind_service");
    assertThat(decode(status(out, "CapBnd"))).isEqualTo(new TreeSet<>(podman));

    // --privileged as root: the host's ids, its whole bounding set, new privileges allowed.
    String hostBounding = status(Files.readString(Path.of("/proc/self/status")), "CapBnd");
    out = ok(sh("tiny", "cat /proc/self/uid_map /proc/self/status", "--privileged"));
    assertThat(out.lines().findFirst().orElseThrow().trim().split("\\s+")).containsExactly("0", "0", "4294967295");
    assertThat(decode(status(out, "CapEff"))).isEqualTo(decode(hostBounding));
    assertThat(status(out, "NoNewPrivs")).isEqualTo("0");
    // --cap-add ALL: every capability, still in the user namespace.
    out = ok(sh("tiny", "cat /proc/self/uid_map /proc/self/status", "--cap-add", "ALL"));
    assertThat(out.lines().findFirst().orElseThrow()).doesNotContain("4294967295");
    assertThat(decode(status(out, "CapEff"))).isEqualTo(decode(hostBounding));
  }

  @Test
  void newPrivilegesOnlyWhenAsked() throws Exception {
    assertThat(status(ok(sh("tiny", "cat /proc/self/status", "--security-opt", "no-new-privileges=false")),
        "NoNewPrivs")).isEqualTo("0");
    debian("coreutils, which keep a setuid bit's rights");
    ok(StrataProcess.exec(store, Map.of(), "run", "--name", "suid", "debian", "--", "/bin/sh", "-c",
        "cp /bin/cat /usr/local/bin/suid-cat && chmod 4755 /usr/local/bin/suid-cat"));
    String script = "suid-cat /proc/self/status";
    String refused = ok(StrataProcess.exec(store, Map.of(), "run", "--name", "suid", "--user", "nobody", "debian",
        "--", "/bin/sh", "-c", script));
    assertThat(status(refused, "Uid")).isEqualTo("65534");
    assertThat(refused).containsPattern("(?m)^Uid:\\s+65534\\s+65534\\s+65534");
    String asked = ok(StrataProcess.exec(store, Map.of(), "run", "--name", "suid", "--user", "nobody", "--security-opt",
        "no-new-privileges=false", "debian", "--", "/bin/sh", "-c", script));
    assertThat(asked).containsPattern("(?m)^Uid:\\s+65534\\s+0\\s+0"); // the setuid file's owner: the container's root
    Strata.run(store, "rm", "suid").assertOk();
  }

  /** Pulls the Debian image once; the test is skipped where it was not built. */
  private static synchronized void debian(String why) throws Exception {
    Path debian = TestImages.debian();
    org.junit.jupiter.api.Assumptions.assumeTrue(debian != null,
        "the Debian image (" + why + ") is built by scripts/test.sh");
    if (!debianPulled) {
      Strata.run(store, "pull", "oci:" + debian + ":minbase", "debian").assertOk();
      debianPulled = true;
    }
  }

  @Test
  void theSeccompFilterIsContainersCommonsAsPodmanAppliesIt() throws Exception {
    assertThat(status(ok(sh("tiny", "cat /proc/self/status")), "Seccomp")).isEqualTo("2");
    assertThat(status(ok(sh("tiny", "cat /proc/self/status", "--security-opt", "seccomp=unconfined")), "Seccomp"))
        .isEqualTo("0");
    assertThat(status(ok(sh("tiny", "cat /proc/self/status", "--privileged")), "Seccomp")).isEqualTo("0");
    Commands.Result r = sh("tiny", "true", "--security-opt", "seccomp=" + dir.resolve("none.json"));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).contains("the seccomp profile " + dir.resolve("none.json") + " is missing");

    // What the profile says, through perl's syscall(): move_pages is refused by a rule of its
    // own (EPERM), add_key by the default action (ENOSYS); without the filter both reach the kernel.
    debian("perl, to make any system call");
    org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("os.arch").equals("amd64"),
        "the system call numbers below are x86-64's");
    String calls = "perl -e 'for ([279, \"move_pages\"], [248, \"add_key\"]) { my ($n, $name) = @$_; "
        + "print syscall($n, 0, 0, 0, 0, 0, 0) == -1 ? \"$name: $!\\n\" : \"$name: done\\n\" }'";
    assertThat(ok(sh("debian", calls)).lines().toList())
        .containsExactly("move_pages: Operation not permitted", "add_key: Function not implemented");
    assertThat(ok(sh("debian", calls, "--security-opt", "seccomp=unconfined")).lines().toList())
        .containsExactly("move_pages: done", "add_key: Bad address");
  }

  @Test
  void badFlagsAreRefusedNamingThem() throws Exception {
    Commands.Result r = sh("tiny", "true", "--cap-add", "FLY");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.out()).contains("--cap-add FLY: no such capability");
    r = sh("tiny", "true", "--cap-add", "ALL", "--cap-drop", "ALL");
    assertThat(r.out()).contains("--cap-add ALL and --cap-drop ALL");
    r = sh("tiny", "true", "--cap-add", "KILL", "--cap-drop", "KILL");
    assertThat(r.out()).contains("capability CAP_KILL is both added and dropped");
    r = sh("tiny", "true", "--network", "bridge");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.out()).contains("--network bridge: expected none or host");
    r = sh("tiny", "true", "--security-opt", "label=disable");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.out()).contains("--security-opt label=disable");
    r = sh("tiny", "true", "--user", "1000:");
    assertThat(r.out()).contains("user '1000:': expected USER[:GROUP]");
  }

  @Test
  void theContainerDiesWithStrata() throws Exception {
    Path log = dir.resolve("run.log");
    Process strata = StrataProcess.start(store, log, "run", "--name", "dying", "tiny", "--", "/bin/sh", "-c",
        "touch /root/started; exec sleep 987654");
    Path started = store.resolve("containers/dying/upper/root/started");
    for (int i = 0; i < 600 && !Files.exists(started); i++) {
      Thread.sleep(100);
    }
    assertThat(started).as(Files.exists(log) ? Files.readString(log) : "").exists();
    assertThat(sleepers()).hasSize(1);
    strata.destroyForcibly();
    strata.waitFor(30, TimeUnit.SECONDS);
    for (int i = 0; i < 300 && !sleepers().isEmpty(); i++) {
      Thread.sleep(100);
    }
    assertThat(sleepers()).as("the container's process, after strata was killed").isEmpty();
    // What a killed strata leaves, its directory and dead mount, the next run clears.
    assertThat(runDirectories(strata.pid())).hasSize(1);
    ok(sh("tiny", "true"));
    assertThat(runDirectories(strata.pid())).isEmpty();
    assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain("strata:dying");
    Strata.run(store, "rm", "dying").assertOk();
  }

  /** The run directories of the strata process {@code pid}. */
  private static List<Path> runDirectories(long pid) throws Exception {
    try (Stream<Path> runs = Files.list(Path.of("/run/strata/run"))) {
      return runs.filter(p -> p.getFileName().toString().startsWith("run-" + pid + "-")).toList();
    }
  }

  /** The host's processes running the container's {@code sleep 987654}. */
  private static List<Long> sleepers() throws Exception {
    List<Long> found = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          String cmdline = Files.readString(p.resolve("cmdline")).replace('\0', ' ').trim();
          if (cmdline.equals("sleep 987654")) {
            found.add(Long.parseLong(p.getFileName().toString()));
          }
        } catch (java.io.IOException gone) {
          // the process ended while we looked
        }
      }
    }
    return found;
  }
}
