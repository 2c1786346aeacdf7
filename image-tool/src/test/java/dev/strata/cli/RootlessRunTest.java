package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.host.TestUser;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code strata run} by an ordinary user: it runs again as root of a user namespace of its own
 * ({@code OwnUserNamespace}), the user as root and its /etc/subuid range as ids 1 and on
 * (unshare through newuidmap), where it mounts /dev/fuse itself (the device opened to all for
 * the test and closed again) so that every user of the container reaches its root filesystem,
 * and runs the container there with podman's capabilities, no_new_privs and no network; what it
 * makes is committed as root's. Run as root, which makes the user.
 */
@org.junit.jupiter.api.extension.ExtendWith(OrdinaryUser.OpenFuse.class)
class RootlessRunTest {
  private static final String USER = OrdinaryUser.NAME;

  @TempDir Path dir;
  /** A store of the user's, {@code dir/work/store}, with tiny pulled into it by the user. */
  private Path usersStore(String classpath) throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path work = Files.createDirectories(dir.resolve("work"));
    Commands.run(List.of("cp", "-a", TestImages.tiny().toString(), work.resolve("tiny").toString()));
    Commands.run(List.of("chown", "-R", USER, work.toString()));
    Path store = work.resolve("store");
    Commands.Result pull = asUser(classpath, store, "pull", "oci:" + work.resolve("tiny") + ":3layer", "tiny");
    assertThat(pull.exit()).as(pull.out() + pull.err()).isZero();
    return store;
  }

  private Commands.Result asUser(String classpath, Path store, String... args) throws Exception {
    return OrdinaryUser.strata(classpath, store, args);
  }

  @Test
  void anOrdinaryUsersContainerIsRootOfItsSubordinateIdsAndCommitsAsRoot() throws Exception {
    TestUser user = TestUser.ensure(USER);
    long[] ids = {user.uid(), user.gid()};
    long[] subuid = user.subuid();
    long[] subgid = user.subgid();
    String classpath = TestUser.readableClasspath(dir);
    Path store = usersStore(classpath);
    Path work = store.getParent();

    Commands.Result run = asUser(classpath, store, "run", "--name", "mine", "tiny", "--", "/bin/sh", "-c",
        "cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; echo --; id -u; echo --; cat /proc/self/status; "
            + "echo --; echo made > /root/made; ls -ln /root/made; echo --; cat /proc/net/dev");
    assertThat(run.exit()).as(run.out() + run.err()).isZero();
    String[] parts = run.out().split("--\n");
    assertThat(lines(parts[0])).containsExactly("0 " + ids[0] + " 1", "1 " + subuid[0] + " " + subuid[1]);
    assertThat(lines(parts[1])).containsExactly("0 " + ids[1] + " 1", "1 " + subgid[0] + " " + subgid[1]);
    assertThat(lines(parts[2])).containsExactly("0");
    Matcher eff = Pattern.compile("(?m)^CapEff:\\s*(\\S+)").matcher(parts[3]);
    assertThat(eff.find()).isTrue();
    assertThat(Commands.run(List.of("capsh", "--decode=" + eff.group(1))).trim()).endsWith(
        "=cap_chown,cap_dac_override,cap_fowner,cap_fsetid,cap_kill,cap_setgid,cap_setuid,cap_setpcap,"
            + "cap_net_bind_service,cap_sys_chroot,cap_setfcap");
    assertThat(parts[3]).containsPattern("(?m)^NoNewPrivs:\\s+1$");
    assertThat(parts[4]).containsPattern("1 0 +0 .* /root/made");
    assertThat(parts[5].lines().filter(l -> !l.contains("|")).map(l -> l.substring(0, l.indexOf(':')).trim()))
        .containsExactly("lo");

    // Every user of the container reaches its root filesystem, not only its root: the mount is
    // made in the container's user namespace, which lets the namespace's ids in.
    Commands.Result other = asUser(classpath, store, "run", "--rm", "--user", "1000:1000", "tiny", "--", "/bin/sh",
        "-c", "id -u; ls /bin/sh; grep ' / ' /proc/self/mountinfo");
    assertThat(other.exit()).as(other.out() + other.err()).isZero();
    assertThat(other.out()).startsWith("1000\n/bin/sh\n").contains(" - fuse.strata ").contains("allow_other");

    // The upper is the user's: the owner the container gave lives in the override xattr.
    Path made = store.resolve("containers/mine/upper/root/made");
    assertThat(Commands.run(List.of("stat", "-c", "%u", made.toString())).trim()).isEqualTo(Long.toString(ids[0]));
    Commands.Result commit = asUser(classpath, store, "commit", "mine", "mine-committed");
    assertThat(commit.exit()).as(commit.out() + commit.err()).isZero();

    // strata mount and umount by the user, outside any namespace: /dev/fuse through fusermount3,
    // the committed image as the user sees it (before root opens the store below).
    Path mnt = work.resolve("mnt");
    Commands.run(List.of("runuser", "-u", USER, "--", "mkdir", mnt.toString()));
    Commands.Result mount = asUser(classpath, store, "mount", "--read-only", "mine-committed", mnt.toString());
    assertThat(mount.exit()).as(mount.out() + mount.err()).isZero();
    Commands.Result read = Commands.exec(List.of("runuser", "-u", USER, "--", "sh", "-c",
        "ls " + mnt + "/bin/sh; grep ' " + mnt + " ' /proc/self/mountinfo"), Map.of());
    assertThat(read.out()).as(read.err()).startsWith(mnt + "/bin/sh\n").contains(" - fuse.strata ")
        .contains("user_id=" + ids[0]);
    Commands.Result umount = asUser(classpath, store, "umount", mnt.toString());
    assertThat(umount.exit()).as(umount.out() + umount.err()).isZero();
    assertThat(Commands.run(List.of("cat", "/proc/self/mountinfo"))).doesNotContain(" " + mnt + " ");

    var layers = StoredImage.load(Store.open(store), "mine-committed").manifest().layers();
    Path top = store.resolve("blobs").resolve(layers.get(layers.size() - 1).digest().toString().replace(':', '/'));
    assertThat(Commands.run(List.of("tar", "--numeric-owner", "-tvzf", top.toString())))
        .containsPattern("(?m)^-rw-r--r-- 0/0 .* root/made$");
  }

  @Test
  void anOrdinaryUsersNewVolumeHoldsTheImagesFilesOwnedAsItsNamespaceMapsThem() throws Exception {
    TestUser user = TestUser.ensure(USER);
    long[] subuid = user.subuid();
    long[] subgid = user.subgid();
    String classpath = TestUser.readableClasspath(dir);
    Path store = usersStore(classpath);

    // tiny's /home/user is 1000:1000 0700, its hello.txt 0640: copied into the new volume.
    String script = "set -e; stat -c '%u:%g %a' /home/user /home/user/hello.txt; echo more >> /home/user/log; "
        + "cat /home/user/log";
    Commands.Result first = asUser(classpath, store, "run", "--rm", "-v", "home:/home/user", "tiny", "--", "/bin/sh",
        "-c", script);
    assertThat(first.exit()).as(first.out() + first.err()).isZero();
    assertThat(first.out().lines().toList()).containsExactly("1000:1000 700", "1000:1000 640", "more");
    // On the host: container id 1000 is the user's subordinate id 999 and on.
    Path data = store.resolve("volumes/home/data");
    assertThat(Commands.run(List.of("stat", "-c", "%u:%g", data.resolve("hello.txt").toString())).trim())
        .isEqualTo((subuid[0] + 999) + ":" + (subgid[0] + 999));
    Commands.Result second = asUser(classpath, store, "run", "--rm", "-v", "home:/home/user", "tiny", "--", "/bin/sh",
        "-c", script);
    assertThat(second.exit()).as(second.out() + second.err()).isZero();
    assertThat(second.out().lines().toList()).containsExactly("1000:1000 700", "1000:1000 640", "more", "more");
  }

  private static List<String> lines(String map) {
    return map.lines().map(l -> l.trim().replaceAll("\\s+", " ")).filter(l -> !l.isEmpty()).toList();
  }
}
