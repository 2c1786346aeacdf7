package dev.strata.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.union.IdMap;
import dev.strata.union.UnionOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * strata-overlay as container engines and mount(8) run it: fuse-overlayfs's options, detached
 * start that returns once the mount is live, a server that ends with the mount.
 */
class StrataOverlayTest {
  @Nested
  class Options {
    @Test
    void lowerDirsAreTopFirstAndEscapesAreKept() {
      OverlayOptions o = OverlayOptions.parse(List.of("lowerdir=/a:/b\\:c:/d,upperdir=/u,workdir=/w", "allow_other"));
      assertThat(o.lowerDirs()).containsExactly(Path.of("/a"), Path.of("/b:c"), Path.of("/d"));
      assertThat(o.upperDir()).isEqualTo(Path.of("/u"));
      assertThat(o.fuseOptions()).containsExactly("allow_other");
      assertThat(o.readOnly()).isFalse();
    }

    @Test
    void fuseOverlayfsTuningIsAcceptedAndNamed() {
      OverlayOptions o = OverlayOptions.parse(List.of("lowerdir=/a,upperdir=/u,workdir=/w,timeout=5,threaded=1,"
          + "xattr_permissions=2,context=\"system_u:object_r:container_file_t:s0\""));
      assertThat(o.ignored()).containsExactlyInAnyOrder("timeout", "threaded", "xattr_permissions", "context");
      assertThat(o.union()).isEqualTo(OverlayOptions.parse(List.of("lowerdir=/a,upperdir=/u,workdir=/w")).union());
    }

    @Test
    void fuseOverlayfsOwnOptionsAreTakenWithItsMeaning() {
      OverlayOptions o = OverlayOptions.parse(List.of("lowerdir=/a,upperdir=/u,workdir=/w,uidmapping=:0:100000:65536,"
          + "gidmapping=0:200000:10,squash_to_gid=7,squash_to_root,static_nlink,noacl,noxattrs=1,fsync=1,volatile,"
          + "redirect_dir=off"));
      UnionOptions u = o.union();
      assertThat(u.uids()).isEqualTo(IdMap.of(0, 100_000, 65536));
      assertThat(u.gids()).isEqualTo(IdMap.of(0, 200_000, 10));
      // squash_to_gid before squash_to_root, wherever written; volatile over fsync=1
      assertThat(u.squashUid()).hasValue(0);
      assertThat(u.squashGid()).hasValue(7);
      assertThat(u.staticNlink()).isTrue();
      assertThat(u.xattrs()).isFalse();
      assertThat(u.fsync()).isFalse();
      assertThat(u.redirectDir()).isFalse();
      assertThat(o.acl()).isFalse();
      assertThat(o.ignored()).isEmpty();

      UnionOptions plain = OverlayOptions.parse(List.of("lowerdir=/a,upperdir=/u,workdir=/w")).union();
      assertThat(plain.uids().isIdentity() && plain.gids().isIdentity()).isTrue();
      assertThat(plain.squashUid()).isEmpty();
      assertThat(plain.squashGid()).isEmpty();
      assertThat(plain.staticNlink()).isFalse();
      assertThat(plain.xattrs() && plain.fsync() && plain.redirectDir()).isTrue();
      assertThat(OverlayOptions.parse(List.of("lowerdir=/a")).acl()).isTrue();
      assertThat(OverlayOptions.parse(List.of("lowerdir=/a,fsync=0")).union().fsync()).isFalse();
      assertThat(OverlayOptions.parse(List.of("lowerdir=/a,squash_to_uid=5")).union().squashGid()).isEmpty();
    }

    @Test
    void passthroughIsOnUnlessTurnedOff() {
      assertThat(OverlayOptions.parse(List.of("lowerdir=/a")).passthrough()).isEqualTo(MountOptions.passthroughByDefault());
      assertThat(OverlayOptions.parse(List.of("lowerdir=/a,nopassthrough")).passthrough()).isFalse();
      assertThat(OverlayOptions.parse(List.of("lowerdir=/a,nopassthrough", "passthrough")).passthrough()).isTrue();
      assertThat(OverlayOptions.parse(List.of("lowerdir=/a,nopassthrough")).ignored()).isEmpty();
      assertThat(MountOptions.passthroughByDefault(null)).isTrue();
      assertThat(MountOptions.passthroughByDefault("on")).isTrue();
      for (String off : List.of("off", "0", "false", "NO")) {
        assertThat(MountOptions.passthroughByDefault(off)).as(off).isFalse();
      }
    }

    @Test
    void withoutAnUpperTheMountIsReadOnly() {
      assertThat(OverlayOptions.parse(List.of("lowerdir=/a:/b")).readOnly()).isTrue();
      assertThat(OverlayOptions.parse(List.of("lowerdir=/a,upperdir=/u,workdir=/w,ro")).readOnly()).isTrue();
    }

    @Test
    void mistakesAreRefusedByName() {
      assertThatThrownBy(() -> OverlayOptions.parse(List.of("lowerdir=/a,frobnicate")))
          .hasMessageContaining("unknown option 'frobnicate'");
      assertThatThrownBy(() -> OverlayOptions.parse(List.of("upperdir=/u,workdir=/w")))
          .hasMessageContaining("no lowerdir");
      assertThatThrownBy(() -> OverlayOptions.parse(List.of("lowerdir=/a,upperdir=/u")))
          .hasMessageContaining("upperdir= needs workdir=");
      assertThatThrownBy(() -> OverlayOptions.parse(List.of("lowerdir=/a,squash_to_uid=root")))
          .hasMessageContaining("squash_to_uid=root: not a number");
      assertThatThrownBy(() -> OverlayOptions.parse(List.of("lowerdir=/a,squash_to_gid=-1")))
          .hasMessageContaining("ids run from 0");
      assertThatThrownBy(() -> OverlayOptions.parse(List.of("lowerdir=/a,uidmapping=0:100000")))
          .hasMessageContaining("STORED:SHOWN:LENGTH");
      assertThatThrownBy(() -> OverlayOptions.parse(List.of("lowerdir=/a,redirect_dir=follow")))
          .hasMessageContaining("redirect_dir=follow");
    }
  }

  @Nested
  class Mounted {
    @TempDir Path dir;
    private Path lower;
    private Path upper;
    private Path work;
    private Path mnt;

    @BeforeEach
    void layers() throws IOException {
      lower = Files.createDirectories(dir.resolve("lower"));
      upper = Files.createDirectories(dir.resolve("upper"));
      work = Files.createDirectories(dir.resolve("work"));
      mnt = Files.createDirectories(dir.resolve("mnt"));
      Files.writeString(lower.resolve("hello"), "from below\n");
    }

    @AfterEach
    void unmount() throws IOException {
      if (Mounts.at(mnt).isPresent()) {
        Mounts.unmount(mnt, true);
      }
    }

    private List<String> command() {
      return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
          System.getProperty("java.class.path"), OverlayMain.class.getName());
    }

    private Result run(List<String> command, Map<String, String> env) throws Exception {
      ProcessBuilder pb = new ProcessBuilder(command);
      pb.environment().putAll(env);
      Path err = Files.createTempFile(dir, "err", ".txt");
      Process p = pb.redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
      return new Result(p.exitValue(), Files.readString(err));
    }

    private record Result(int exit, String err) {}

    private Result overlay(String... args) throws Exception {
      List<String> cmd = new ArrayList<>(command());
      cmd.addAll(List.of(args));
      return run(cmd, Map.of());
    }

    /** Both transports: /dev/fuse spoken directly (root's default) and libfuse through jnr-fuse. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(FuseMount.Transport.class)
    void returnsOnceLiveWarnsOnceAndTheServerEndsWithTheMount(FuseMount.Transport transport) throws Exception {
      List<String> cmd = new ArrayList<>(command());
      cmd.addAll(List.of("-o", "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work + ",timeout=5",
          "-o", "threaded=1", mnt.toString()));
      Result r = run(cmd, Map.of("STRATA_FUSE_TRANSPORT", transport.name().toLowerCase(java.util.Locale.ROOT)));
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(r.err().lines().toList()).containsExactly("strata-overlay: warning: accepted but not implemented: "
          + String.join(", ", OverlayOptions.parse(List.of("lowerdir=/x,timeout=5", "threaded=1")).ignored()));
      assertThat(Mounts.isFuseMounted(mnt)).isTrue(); // live when the command returned

      assertThat(Files.readString(mnt.resolve("hello"))).isEqualTo("from below\n");
      Files.writeString(mnt.resolve("hello"), "changed\n");
      assertThat(Files.readString(upper.resolve("hello"))).isEqualTo("changed\n");
      assertThat(Files.readString(lower.resolve("hello"))).isEqualTo("from below\n");
      Files.createDirectories(mnt.resolve("d/e"));
      Files.move(mnt.resolve("d"), mnt.resolve("moved"));
      Files.delete(mnt.resolve("moved/e"));
      try (var names = Files.list(mnt)) {
        assertThat(names.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("hello", "moved");
      }

      ProcessHandle server = MountRegistry.server(mnt).orElseThrow();
      Mounts.unmount(mnt, false);
      server.onExit().get(30, TimeUnit.SECONDS);
      assertThat(server.isAlive()).isFalse();
      assertThat(work.resolve("strata-overlay.log")).as("a server that logged nothing leaves no log").doesNotExist();
    }

    /**
     * Served by root, a mount's files are the kernel's to read and write (the server's request
     * counts, written where -Dstrata.fuse.stats says when the mount ends, have no READ or
     * WRITE); under -o nopassthrough every read and write is a request, as before.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void passthroughUnlessNopassthrough(boolean on) throws Exception {
      Path stats = dir.resolve("stats");
      List<String> cmd = new ArrayList<>(command());
      cmd.add(1, "-Dstrata.fuse.stats=" + stats);
      cmd.addAll(List.of("-o", "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work
          + (on ? "" : ",nopassthrough"), mnt.toString()));
      Result r = run(cmd, Map.of("STRATA_FUSE_TRANSPORT", "kernel"));
      assertThat(r.exit()).as(r.err()).isZero();
      byte[] data = new byte[3 << 20];
      new java.util.Random(7).nextBytes(data);
      Files.write(mnt.resolve("new"), data);
      assertThat(Files.readAllBytes(mnt.resolve("new"))).isEqualTo(data);
      Files.writeString(mnt.resolve("hello"), "changed\n", java.nio.file.StandardOpenOption.APPEND);
      assertThat(Files.readString(mnt.resolve("hello"))).isEqualTo("from below\nchanged\n");

      ProcessHandle server = MountRegistry.server(mnt).orElseThrow();
      Mounts.unmount(mnt, false);
      server.onExit().get(30, TimeUnit.SECONDS);
      String line = Files.readString(stats);
      Map<String, String> served = new java.util.HashMap<>();
      for (String field : line.trim().split(" ")) {
        int eq = field.indexOf('=');
        if (eq > 0) {
          served.put(field.substring(0, eq), field.substring(eq + 1));
        }
      }
      assertThat(served).as(line).containsEntry("passthrough", Boolean.toString(on));
      if (on) {
        assertThat(served).as("no READ (15) or WRITE (16) reached the server: " + line).doesNotContainKeys("15", "16");
      } else {
        assertThat(served).as(line).containsKeys("15", "16").containsEntry("direct_opens", "0");
      }
    }

    @Test
    void sigtermUnmountsBeforeTheServerEnds() throws Exception {
      Result r = overlay("-o", "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work, mnt.toString());
      assertThat(r.exit()).as(r.err()).isZero();
      Files.writeString(mnt.resolve("kept"), "written before the signal\n");
      ProcessHandle server = MountRegistry.server(mnt).orElseThrow();
      assertThat(server.destroy()).isTrue(); // SIGTERM
      server.onExit().get(30, TimeUnit.SECONDS);
      assertThat(Mounts.at(mnt)).as("no mount left behind, dead or alive").isEmpty();
      assertThat(Files.readString(upper.resolve("kept"))).isEqualTo("written before the signal\n");
    }

    /**
     * A server's work (its warm-up, a walk) grows its heap and malloc's arenas; once idle it
     * gives that back ({@link IdleTrim}). Without the trim a JVM keeps both resident, so the
     * server's RSS would stay at its peak for the life of the mount.
     */
    @Test
    void anIdleServerGivesBackWhatItsWorkGrew() throws Exception {
      for (int d = 0; d < 20; d++) {
        Path sub = Files.createDirectories(lower.resolve("d" + d));
        for (int f = 0; f < 200; f++) {
          Files.createFile(sub.resolve("f" + f));
        }
      }
      Result r = overlay("-o", "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work, mnt.toString());
      assertThat(r.exit()).as(r.err()).isZero();
      long pid = MountRegistry.server(mnt).orElseThrow().pid();
      assertThat(Files.readString(Path.of("/proc/" + pid + "/cmdline"))).contains(String.join("\0", Detached.SERVER_HEAP));
      try (var walk = Files.walk(mnt)) {
        assertThat(walk.count()).isEqualTo(1 + 1 + 20 + 20 * 200);
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      long rss;
      long peak;
      do {
        Thread.sleep(500);
        rss = statusKb(pid, "VmRSS");
        peak = statusKb(pid, "VmHWM");
      } while (peak - rss < 8 << 10 && System.nanoTime() < deadline);
      assertThat(peak - rss).as("kB given back of a peak RSS of %d kB", peak).isGreaterThanOrEqualTo(8 << 10);
    }

    private long statusKb(long pid, String field) throws IOException {
      return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith(field + ":"))
          .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElseThrow();
    }

    @Test
    void withoutUpperEveryWriteIsRefused() throws Exception {
      Result r = overlay("-o", "lowerdir=" + lower, mnt.toString());
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(Files.readString(mnt.resolve("hello"))).isEqualTo("from below\n");
      assertThatThrownBy(() -> Files.writeString(mnt.resolve("new"), "x"))
          .isInstanceOf(FileSystemException.class).hasMessageContaining("Read-only file system");
    }

    @Test
    void badOptionsFailBeforeAnythingIsMounted() throws Exception {
      Result r = overlay("-o", "lowerdir=" + lower + ",bogus=1", mnt.toString());
      assertThat(r.exit()).isEqualTo(2);
      assertThat(r.err()).contains("unknown option 'bogus=1'");
      Result missing = overlay("-o", "lowerdir=" + dir.resolve("nope"), mnt.toString());
      assertThat(missing.exit()).isEqualTo(2);
      assertThat(missing.err()).contains("is not a directory");
      assertThat(Mounts.at(mnt)).isEmpty();
    }

    @Test
    void mountOfTypeFuseRunsItTheWayMountFuseDoes() throws Exception {
      // mount(8) hands a fuse mount to mount.fuse, which runs "PROGRAM SOURCE MOUNTPOINT -o
      // OPTIONS" (adding rw,dev,suid). With -t fuse.strata-overlay it finds PROGRAM on its own
      // fixed PATH; "PROGRAM#SOURCE" names it directly, so the test needs nothing installed.
      Path bin = Files.createDirectories(dir.resolve("bin"));
      Path launcher = bin.resolve("strata-overlay");
      Files.writeString(launcher, "#!/bin/sh\nexec " + String.join(" ", command().stream().map(a -> "'" + a + "'").toList())
          + " \"$@\"\n", StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
      Result r = run(List.of("mount", "-t", "fuse", "-o", "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work
          + ",noexec,noatime", launcher + "#mysource", mnt.toString()), Map.of());
      assertThat(r.exit()).as(r.err()).isZero();
      Mounts.Mount m = Mounts.at(mnt).orElseThrow();
      assertThat(m.type()).isEqualTo("fuse.strata");
      assertThat(m.source()).isEqualTo("mysource");
      assertThat(m.flags().split(",")).contains("noexec", "noatime"); // FUSE mount options are honoured
      assertThat(Files.readString(mnt.resolve("hello"))).isEqualTo("from below\n");
    }
  }
}
