package dev.strata.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.fuse.conformance.Command;
import dev.strata.host.TestUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An ordinary user mounts a union over /dev/fuse spoken directly, through the set-user-id
 * fusermount3, and gets what root gets and libfuse's path API cannot give: one kernel inode for
 * the names of a hard-linked file, renameat2 flags. {@link UnprivilegedMount} does the mounting
 * in a JVM of the user's (runuser from this one, which runs as root and makes the user);
 * /dev/fuse is opened to all for the test, as Debian's udev leaves it, and closed again.
 */
class UnprivilegedKernelMountTest {
  private static final String USER = "strata-rootless";
  private static final int EEXIST = 17;

  @TempDir static Path shared;
  private static TestUser user;
  private static String classpath;
  private static String fuseMode;

  @TempDir Path dir;
  private Path lower;
  private Path upper;
  private Path work;
  private Path mnt;

  @BeforeAll
  static void openFuse() throws Exception {
    user = TestUser.ensure(USER);
    fuseMode = Command.run(List.of("stat", "-c", "%a", "/dev/fuse")).output().trim();
    Command.check("chmod", "0666", "/dev/fuse");
    reachable(shared);
    classpath = TestUser.readableClasspath(shared);
  }

  @AfterAll
  static void closeFuse() throws Exception {
    Command.check("chmod", fuseMode, "/dev/fuse");
  }

  @BeforeEach
  void dirs() throws IOException {
    reachable(dir);
    lower = Files.createDirectories(dir.resolve("lower"));
    Files.writeString(lower.resolve("below"), "from the lower layer\n");
    upper = owned(dir.resolve("upper"));
    work = owned(dir.resolve("work"));
    mnt = owned(dir.resolve("mnt"));
  }

  @AfterEach
  void noMountLeft() throws IOException {
    for (Path p : List.of(mnt, dir.resolve("sticky"), dir.resolve("other"))) {
      if (Mounts.at(p).isPresent()) {
        Mounts.unmount(p, true);
      }
    }
  }

  @Test
  void anOrdinaryUserMountsOverDevFuseWithRootsSemantics() throws Exception {
    Map<String, String> out = asUser("mount", mnt);
    assertThat(out).containsEntry("euid", Long.toString(user.uid())).containsEntry("cap_sys_admin", "false")
        .as("a set-user-id fusermount3 makes /dev/fuse the transport").containsEntry("transport", "KERNEL");
    assertThat(out).containsEntry("type", "fuse.strata").containsEntry("source", "strata-unprivileged");
    assertThat(out).as("no backing files without CAP_SYS_ADMIN: every read and write is the server's, as before")
        .containsEntry("passthrough", "false");
    assertThat(out.get("options")).as("fusermount3 mounted it for the user")
        .contains("user_id=" + user.uid(), "group_id=" + user.gid(), "default_permissions")
        .doesNotContain("allow_other");

    assertThat(out).containsEntry("link", "0").containsEntry("ino_b", out.get("ino_a"))
        .containsEntry("nlink_a", "2").containsEntry("nlink_b", "2");
    assertThat(out).as("a write through one name shows in the other's size at once").containsEntry("size_a", "8");
    assertThat(Files.getAttribute(upper.resolve("b"), "unix:nlink")).as("the upper holds a hard link too")
        .isEqualTo(2);

    assertThat(out).as("RENAME_NOREPLACE onto an existing name").containsEntry("noreplace", "-1 " + EEXIST)
        .containsEntry("a_after", "one|two|");
    assertThat(out).as("RENAME_EXCHANGE").containsEntry("exchange", "0 0").containsEntry("a_exchanged", "see|")
        .containsEntry("c_exchanged", "one|two|");

    assertThat(out).as("closed through the Strata API, seen by the user").containsEntry("mounted_after_close", "false");
    assertThat(Mounts.at(mnt)).as("and by root").isEmpty();
  }

  @Test
  void aMountPointFusermountRefusesIsAClearError() throws Exception {
    // A world-writable sticky directory of root's (as /tmp): fusermount3 mounts only on the user's own there.
    Path sticky = Files.createDirectories(dir.resolve("sticky"));
    Command.check("chmod", "1777", sticky.toString());
    Map<String, String> out = asUser("refuse", sticky);
    assertThat(out).containsEntry("transport", "KERNEL");
    assertThat(out.get("error")).contains("fusermount3 could not mount " + sticky, "exit 1", "not owned by user");
    assertThat(Mounts.at(sticky)).isEmpty();

    Path other = Files.createDirectories(dir.resolve("other"));
    out = asUser("refuse", other);
    assertThat(out.get("error")).contains("fusermount3 could not mount " + other, "no write access");
  }

  @Test
  void allowOtherIsTheUsersOnlyWhereFuseConfSaysSo() throws Exception {
    Map<String, String> out = asUser("refuse", mnt, "allow_other");
    if (userAllowOther()) {
      assertThat(out.get("mounted")).contains("allow_other");
    } else {
      assertThat(out.get("error")).contains("fusermount3 could not mount " + mnt, "allow_other",
          "/etc/fuse.conf has the line user_allow_other");
    }
    assertThat(Mounts.at(mnt)).isEmpty();
  }

  /**
   * bin/strata-overlay as the user runs it, with an empty environment: it starts the user's own
   * mount server (no runtime directory given: one under /tmp of the user's), which mounts
   * through fusermount3; the user reads and writes through the mount, and unmounts it with
   * fusermount3 as fuse-overlayfs's users do.
   */
  @Test
  void theLauncherMountsForAnOrdinaryUserThroughItsOwnServer() throws Exception {
    Path launcher = Path.of(System.getProperty("user.dir")).getParent().resolve("bin/strata-overlay");
    Path runtime = Path.of("/tmp/strata-" + user.uid());
    Command c = Command.run(List.of("runuser", "-u", USER, "--", "env", "-i", "PATH=/usr/local/bin:/usr/bin:/bin",
        "STRATA_CLASSPATH=" + classpath, launcher.toString(), "-o",
        "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work, mnt.toString()));
    try {
      assertThat(c.status()).as(c.output()).isZero();
      assertThat(c.output()).isEmpty();
      Mounts.Mount m = Mounts.at(mnt).orElseThrow();
      assertThat(m.type()).isEqualTo("fuse.strata");
      Command io = Command.run(List.of("runuser", "-u", USER, "--", "sh", "-c",
          "cat " + mnt + "/below && echo mine > " + mnt + "/new"));
      assertThat(io.output()).isEqualTo("from the lower layer\n");
      assertThat(Files.readString(upper.resolve("new"))).isEqualTo("mine\n");
      assertThat(Files.getAttribute(upper.resolve("new"), "unix:uid")).isEqualTo((int) user.uid());
      List<Path> pids = new ArrayList<>();
      try (var dirs = Files.list(runtime.resolve("servers"))) {
        dirs.map(d -> d.resolve("pid")).filter(Files::exists).forEach(pids::add);
      }
      assertThat(pids).hasSize(1);
      long pid = Long.parseLong(Files.readString(pids.get(0)).trim());
      assertThat(Files.getAttribute(Path.of("/proc/" + pid), "unix:uid")).isEqualTo((int) user.uid());
      Command.check("runuser", "-u", USER, "--", "fusermount3", "-u", mnt.toString());
      assertThat(Mounts.at(mnt)).isEmpty();
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).as("the server outlives its mount").contains(true);
    } finally {
      ProcessHandle.allProcesses().filter(h -> h.info().user().orElse("").equals(USER)
          && h.info().arguments().map(a -> List.of(a).contains(MountServer.class.getName())).orElse(false))
          .forEach(ProcessHandle::destroy);
      Command.run(List.of("rm", "-rf", runtime.toString()));
    }
  }

  private static boolean userAllowOther() throws IOException {
    Path conf = Path.of("/etc/fuse.conf");
    return Files.exists(conf) && Files.readAllLines(conf).stream().anyMatch(l -> l.trim().equals("user_allow_other"));
  }

  /** Runs {@link UnprivilegedMount} as the user, with an environment of its own; returns what it printed. */
  private Map<String, String> asUser(String mode, Path mountPoint, String... more) throws Exception {
    List<String> command = new ArrayList<>(List.of("runuser", "-u", USER, "--", "env", "-i",
        "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + user.home(),
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classpath,
        UnprivilegedMount.class.getName(), mode, lower.toString(), upper.toString(), work.toString(),
        mountPoint.toString()));
    command.addAll(List.of(more));
    Command c = Command.run(command);
    assertThat(c.status()).as(c.output()).isZero();
    Map<String, String> out = new HashMap<>();
    for (String line : c.output().split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0 && line.substring(0, eq).matches("[a-z_]+")) {
        out.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return out;
  }

  private static void reachable(Path p) throws IOException {
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static Path owned(Path p) throws IOException {
    Files.createDirectories(p);
    Files.setAttribute(p, "unix:uid", (int) user.uid());
    Files.setAttribute(p, "unix:gid", (int) user.gid());
    return p;
  }
}
