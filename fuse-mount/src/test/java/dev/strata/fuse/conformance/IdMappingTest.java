package dev.strata.fuse.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.fuse.FuseMount;
import dev.strata.fuse.MountOptions;
import dev.strata.fuse.Mounts;
import dev.strata.host.Privileges;
import dev.strata.union.HostDirLayer;
import dev.strata.union.IdMap;
import dev.strata.union.UnionFs;
import dev.strata.union.UnionOptions;
import java.io.Closeable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A mount with ids mapped as a container in a user namespace needs them (stored 0 shown as
 * 100000, 65536 ids), through both transports, held to fuse-overlayfs mounted with the same
 * {@code uidmapping=}/{@code gidmapping=}: the owners the host sees, and the owners the upper
 * holds after a process of host uid 100000 (a container's root) made files and root gave one
 * away. Needs root.
 */
class IdMappingTest {
  private static final long BASE = 100_000;
  private static final String MAP = "0:" + BASE + ":65536";

  enum Server { STRATA_DEV_FUSE, STRATA_LIBFUSE, FUSE_OVERLAYFS }

  @TempDir Path dir;
  private Path lower;

  @BeforeEach
  void lower() throws Exception {
    Files.setAttribute(dir, "unix:mode", 0755); // the container's root walks to the mount point
    lower = Files.createDirectories(dir.resolve("lower"));
    Files.writeString(lower.resolve("root-file"), "r\n");
    Files.writeString(lower.resolve("user-file"), "u\n");
    Files.writeString(lower.resolve("far-file"), "f\n");
    Command.check("chown", "1000:1000", lower.resolve("user-file").toString());
    Command.check("chown", "70000:70000", lower.resolve("far-file").toString()); // past the 65536 ids
  }

  /** The same steps on each server: what the host saw, and the upper's owners afterwards. */
  private String steps(Server server) throws Exception {
    Path base = Files.createDirectories(dir.resolve(server.name()));
    Path upper = Files.createDirectories(base.resolve("upper"));
    Path work = Files.createDirectories(base.resolve("work"));
    Path mnt = Files.createDirectories(base.resolve("mnt"));
    StringBuilder seen = new StringBuilder();
    try (Closeable mount = mount(server, upper, work, mnt)) {
      seen.append(Command.run(List.of("stat", "-c", "%n %u %g", mnt + "/.", mnt + "/root-file", mnt + "/user-file",
          mnt + "/far-file")).output().replace(mnt.toString(), "MNT"));
      // The container's root: host uid and gid 100000, no other groups.
      Command asContainerRoot = Command.run(List.of("setpriv", "--reuid=" + BASE, "--regid=" + BASE, "--clear-groups",
          "sh", "-c", "echo new > " + mnt + "/made && mkdir " + mnt + "/made-dir && ln -s made " + mnt + "/made-link"
              + " && stat -c '%n %u %g' " + mnt + "/made " + mnt + "/made-dir"));
      assertThat(asContainerRoot.status()).as(asContainerRoot.output()).isZero();
      seen.append(asContainerRoot.output().replace(mnt.toString(), "MNT"));
      Command.check("chown", (BASE + 33) + ":" + (BASE + 44), mnt + "/made");
      Command.check("chown", "-h", (BASE + 5) + ":" + (BASE + 6), mnt + "/made-link");
      seen.append(Command.run(List.of("stat", "-c", "%n %u %g", mnt + "/made", mnt + "/made-link")).output()
          .replace(mnt.toString(), "MNT"));
    }
    // fuse-overlayfs marks a new directory opaque with files of its own (.wh..opq), strata with
    // an xattr as the kernel does: the owners of the files both make are compared.
    seen.append(Command.run(List.of("find", upper.toString(), "-mindepth", "1", "-not", "-name", ".wh.*", "-printf",
        "upper %P %U %G\n")).output().lines().sorted().reduce("", (a, b) -> a + b + "\n"));
    return seen.toString();
  }

  private Closeable mount(Server server, Path upper, Path work, Path mnt) throws Exception {
    if (server == Server.FUSE_OVERLAYFS) {
      Command.check("fuse-overlayfs", "-o", "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work
          + ",uidmapping=" + MAP + ",gidmapping=" + MAP, mnt.toString());
      return () -> Mounts.unmount(mnt, false);
    }
    IdMap map = IdMap.parse(MAP);
    UnionFs fs = UnionFs.open(List.of(HostDirLayer.open(lower)), upper, work,
        UnionOptions.defaults(Privileges.ofProcess()).withIds(map, map));
    MountOptions d = MountOptions.defaults("idmap-test");
    FuseMount.Transport t = server == Server.STRATA_DEV_FUSE ? FuseMount.Transport.KERNEL : FuseMount.Transport.LIBFUSE;
    // allow_other: the mount is root's and the caller is not.
    MountOptions o = new MountOptions(t, d.fsName(), false, true, true, 1.0, 1.0, t == FuseMount.Transport.LIBFUSE,
        false, d.mountOptions(), d.acl(), d.passthrough());
    return FuseMount.start(fs, mnt, o);
  }

  @ParameterizedTest
  @EnumSource(value = Server.class, names = {"STRATA_DEV_FUSE", "STRATA_LIBFUSE"})
  void bothTransportsMapIdsAsFuseOverlayfsDoes(Server server) throws Exception {
    String expected = steps(Server.FUSE_OVERLAYFS);
    assertThat(expected).contains("MNT/root-file " + BASE + " " + BASE, "MNT/far-file 65534 65534",
        "upper made 33 44", "upper made-dir 0 0");
    assertThat(steps(server)).isEqualTo(expected);
  }

  @Test
  void aCallerOutsideTheMapCannotMakeFiles() throws Exception {
    // fuse-overlayfs stores such a file as the overflow id; strata refuses, as the kernel's
    // idmapped mounts do, rather than make a file no id in the container owns.
    Path base = Files.createDirectories(dir.resolve("outside"));
    Path upper = Files.createDirectories(base.resolve("upper"));
    Path mnt = Files.createDirectories(base.resolve("mnt"));
    try (Closeable mount = mount(Server.STRATA_DEV_FUSE, upper, Files.createDirectories(base.resolve("work")), mnt)) {
      Command touch = Command.run(List.of("touch", mnt + "/by-host-root"));
      assertThat(touch.status()).isNotZero();
      assertThat(touch.output()).contains("Value too large for defined data type");
      Command chown = Command.run(List.of("chown", "0:0", mnt + "/root-file"));
      assertThat(chown.output()).contains("Value too large for defined data type");
    }
    assertThat(upper.resolve("by-host-root")).doesNotExist();
  }
}
