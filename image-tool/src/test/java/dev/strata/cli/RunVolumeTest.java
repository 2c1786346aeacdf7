package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.image.json.ImageJson;
import dev.strata.layout.Containers;
import dev.strata.layout.Store;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code strata run -v} and {@code --volumes-from}, with runc, as root: the chapter's counter
 * kept in a volume across containers, host directories read-write and read-only, a new volume
 * filled from the image once, anonymous volumes for the image's VOLUMEs, volumes shared by two
 * running containers (with one block of ids, both writing at once), and commits that leave
 * volume data out.
 */
class RunVolumeTest {
  /** Counts in /count/n: the number it read plus one, printed and written back. */
  static final String COUNT = "set -e; n=$(cat /count/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /count/n; "
      + "echo count=$n";
  private static final FileTime IMAGE_TIME = FileTime.fromMillis(1_600_000_000_123L);

  @TempDir Path dir;
  private Path store;

  /**
   * The tiny busybox image, and over it a layer with /data (root's, 0755) holding a file of
   * 1234:5678 mode 0640 with a hard link and a symlink to it: as {@code files}, and with
   * {@code VOLUME /data} as {@code vol}; and /proc, /dev and /sys for a read-only root. Made by
   * GNU tar and umoci.
   */
  @BeforeEach
  void images() throws Exception {
    store = dir.resolve("store");
    Path data = Files.createDirectories(dir.resolve("tree/data/sub")).getParent();
    Path file = Files.writeString(data.resolve("a.txt"), "from the image\n");
    Files.createLink(file.resolveSibling("hard"), file);
    Files.createSymbolicLink(file.resolveSibling("link"), Path.of("a.txt"));
    Commands.run(List.of("chown", "1234:5678", file.toString()));
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    Files.setLastModifiedTime(file, IMAGE_TIME);
    for (String mountPoint : List.of("proc", "dev", "sys")) { // what a --read-only root must have for runc
      Files.createDirectories(dir.resolve("tree").resolve(mountPoint));
    }
    Path layer = dir.resolve("data.tar");
    Commands.run(List.of("tar", "--numeric-owner", "-C", dir.resolve("tree").toString(), "-cf", layer.toString(),
        "data", "proc", "dev", "sys"));
    Path layout = dir.resolve("layout");
    Commands.run(List.of("cp", "-a", TestImages.tiny().toString(), layout.toString()));
    Commands.run(List.of("umoci", "raw", "add-layer", "--image", layout + ":3layer", "--tag", "files",
        layer.toString()));
    Commands.run(List.of("umoci", "config", "--image", layout + ":files", "--tag", "vol", "--config.volume", "/data"));
    Strata.run(store, "pull", "oci:" + layout + ":3layer", "tiny").assertOk();
    Strata.run(store, "pull", "oci:" + layout + ":files", "files").assertOk();
    Strata.run(store, "pull", "oci:" + layout + ":vol", "vol").assertOk();
  }

  /** Runs {@code script} in a container of {@code image}, flags before the image; exit and output. */
  private Commands.Result sh(String image, String script, String... flags) throws Exception {
    return StrataProcess.shell(store, image, script, List.of(flags));
  }

  private static String ok(Commands.Result r) {
    assertThat(r.exit()).as(r.out()).isZero();
    return r.out();
  }

  private JsonNode volumes() throws Exception {
    return ImageJson.mapper().readTree(Strata.run(store, "volume", "ls", "--json").assertOk().out()
        .getBytes(StandardCharsets.UTF_8));
  }

  private JsonNode volume(String name) throws Exception {
    return ImageJson.mapper().readTree(Strata.run(store, "volume", "inspect", name, "--json").assertOk().out()
        .getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> users(JsonNode volume) {
    List<String> out = new ArrayList<>();
    volume.get("users").forEach(u -> out.add(u.asText()));
    return out;
  }

  @Test
  void aCounterInAVolumeOutlivesItsContainerAndIsSeenByTheNext() throws Exception {
    assertThat(ok(sh("tiny", COUNT, "--rm", "-v", "counter:/count"))).contains("count=1");
    assertThat(Strata.run(store, "containers").assertOk().out()).doesNotContain("run-");
    assertThat(ok(sh("tiny", COUNT, "--name", "kept", "--volume", "counter:/count"))).contains("count=2");

    JsonNode counter = volumes().get(0);
    assertThat(counter.get("name").asText()).isEqualTo("counter");
    assertThat(users(counter)).containsExactly("kept");
    assertThat(counter.get("dangling").asBoolean()).isFalse();
    assertThat(Strata.run(store, "volume", "rm", "counter").exit()).isEqualTo(1); // in use by kept

    Strata.run(store, "rm", "kept").assertOk();
    assertThat(users(volume("counter"))).isEmpty();
    assertThat(volume("counter").get("dangling").asBoolean()).isTrue();
    assertThat(Strata.run(store, "volume", "ls", "--dangling").assertOk().out()).contains("counter");
    assertThat(ok(sh("tiny", COUNT, "--rm", "-v", "counter:/count"))).contains("count=3");
    assertThat(Files.readString(store.resolve("volumes/counter/data/n"))).isEqualTo("3\n");
  }

  @Test
  void aHostDirectoryIsMountedReadWriteOrReadOnly() throws Exception {
    Path host = Files.createDirectories(dir.resolve("host"));
    // The container's root is root of a user namespace: the host's root's directory must let it in.
    Files.setPosixFilePermissions(host, PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.writeString(host.resolve("from-host"), "host\n");

    String rw = ok(sh("tiny", "cat /mnt/h/from-host; echo written > /mnt/h/from-container", "--rm", "-v",
        host + ":/mnt/h"));
    assertThat(rw).contains("host");
    assertThat(Files.readString(host.resolve("from-container"))).isEqualTo("written\n");

    Commands.Result ro = sh("tiny", "cat /mnt/h/from-host; echo no > /mnt/h/refused", "--rm", "-v", host + ":/mnt/h:ro");
    assertThat(ro.exit()).as(ro.out()).isNotZero();
    assertThat(ro.out()).contains("host").contains("Read-only file system");
    assertThat(host.resolve("refused")).doesNotExist();
  }

  /**
   * As podman mounts them (seen in its containers' mountinfo): a volume nosuid and nodev, so a
   * setuid file or a device node one container left there gives the next nothing; a host
   * directory with the host's own flags.
   */
  @Test
  void aVolumeIsMountedNosuidNodevAHostDirectoryAsTheHostHasIt() throws Exception {
    Path host = Files.createDirectories(dir.resolve("host"));
    String mounts = ok(sh("tiny", "grep -E ' /(vol|host) ' /proc/self/mountinfo", "--rm", "-v", "v:/vol", "-v",
        host + ":/host"));
    String vol = mounts.lines().filter(l -> l.contains(" /vol ")).findFirst().orElseThrow();
    String hostLine = mounts.lines().filter(l -> l.contains(" /host ")).findFirst().orElseThrow();
    assertThat(vol.split(" ")[5].split(",")).contains("nosuid", "nodev");
    assertThat(hostLine.split(" ")[5].split(",")).doesNotContain("nosuid", "nodev");
  }

  @Test
  void aFileOfTheHostGoesOverAFileOfTheImageADirectoryDoesNot() throws Exception {
    Path file = Files.writeString(dir.resolve("passwd"), "root:x:0:0:from the host:/root:/bin/sh\n");
    assertThat(ok(sh("tiny", "cat /etc/passwd", "--rm", "-v", file + ":/etc/passwd:ro"))).contains("from the host");
    // runc mounts a directory only on a directory (or on a path it makes), as docker run does.
    Commands.Result refused = sh("tiny", "true", "--rm", "-v", "onfile:/etc/passwd");
    assertThat(refused.exit()).as(refused.out()).isNotZero();
    assertThat(refused.out()).contains("/etc/passwd").contains("not a directory");
  }

  @Test
  void aReadOnlyRootKeepsItsVolumesWritableRecordsNoUserAndDropsItsAnonymousOnes() throws Exception {
    Commands.Result r = sh("vol", "echo y > /data/y; cat /data/a.txt; touch /etc/x", "--read-only", "-v", "kept:/srv");
    assertThat(r.exit()).as(r.out()).isNotZero();
    assertThat(r.out()).contains("from the image").contains("Read-only file system");
    assertThat(volumes()).as("no container, so no user; the anonymous one for /data is gone").hasSize(1);
    assertThat(users(volume("kept"))).isEmpty();
    assertThat(ok(sh("files", "echo z > /srv/z", "--read-only", "-v", "kept:/srv"))).isEmpty();
    assertThat(store.resolve("volumes/kept/data/z")).hasContent("z");
  }

  @Test
  void aMountInsideAnotherGoesOverItWhateverTheOrderGiven() throws Exception {
    ok(sh("tiny", "echo in > /a/b/f; echo out > /a/g", "--rm", "-v", "inner:/a/b", "-v", "outer:/a"));
    assertThat(store.resolve("volumes/inner/data/f")).hasContent("in");
    assertThat(store.resolve("volumes/outer/data/g")).hasContent("out");
  }

  @Test
  void badVolumeArgumentsAreUsageErrorsNamingWhatIsWrong() throws Exception {
    Commands.Result missing = sh("tiny", "true", "--rm", "-v", dir.resolve("nowhere") + ":/mnt");
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.out()).contains(dir.resolve("nowhere").toString());
    Commands.Result relative = sh("tiny", "true", "--rm", "-v", "v:mnt");
    assertThat(relative.exit()).isEqualTo(2);
    assertThat(relative.out()).contains("'mnt' must be absolute");
    assertThat(sh("tiny", "true", "--rm", "-v", "v:/mnt:rx").exit()).isEqualTo(2);
    assertThat(sh("tiny", "true", "--rm", "-v", "a:/b:ro:c").exit()).isEqualTo(2);
    assertThat(sh("tiny", "true", "--rm", "--volumes-from", "nobody").exit()).isEqualTo(2);
    // Refused before anything was made: no volume, no container.
    assertThat(volumes()).isEmpty();
    assertThat(new Containers(Store.open(store)).list()).isEmpty();
  }

  @Test
  void aNewVolumeOnAnImageDirectoryStartsWithItsFilesOnce() throws Exception {
    String first = ok(sh("files", "stat -c '%u:%g %a %Y' /data/a.txt; cat /data/hard; readlink /data/link; "
        + "stat -c '%i' /data/a.txt /data/hard; rm /data/a.txt /data/hard", "--rm", "-v", "filled:/data"));
    List<String> lines = first.lines().toList();
    assertThat(lines.get(0)).isEqualTo("1234:5678 640 " + IMAGE_TIME.toMillis() / 1000);
    assertThat(lines.get(1)).isEqualTo("from the image");
    assertThat(lines.get(2)).isEqualTo("a.txt");
    assertThat(lines.get(3)).as("one file, two names").isEqualTo(lines.get(4));

    // On the host the volume's files are owned as the container's namespace maps its ids.
    Path data = store.resolve("volumes/filled/data");
    long root = ((Number) Files.getAttribute(data, "unix:uid")).longValue();
    assertThat(root).isGreaterThanOrEqualTo(65536);
    assertThat(Files.exists(data.resolve("sub"), LinkOption.NOFOLLOW_LINKS)).isTrue();
    assertThat(Files.isSymbolicLink(data.resolve("link"))).isTrue();
    assertThat(data.resolve("a.txt")).doesNotExist(); // the container removed it

    // Emptied by its user, never filled again.
    String second = ok(sh("files", "ls -a /data", "--rm", "-v", "filled:/data"));
    // (tiny's own /data/empty-file came with the first copy, the union's /data being both layers')
    assertThat(second.lines().toList()).containsExactly(".", "..", "empty-file", "link", "sub");
  }

  @Test
  void theImagesVolumesGetAnonymousVolumesFilledFromItRemovedWithRm() throws Exception {
    assertThat(ok(sh("vol", "cat /data/a.txt; stat -c '%u:%g %a' /data/a.txt", "--rm"))).contains("from the image")
        .contains("1234:5678 640");
    assertThat(volumes()).as("--rm removes the anonymous volume").isEmpty();

    ok(sh("vol", "echo kept > /data/mine", "--name", "k"));
    JsonNode anonymous = volumes().get(0);
    assertThat(anonymous.get("name").asText()).matches("[0-9a-f]{64}");
    assertThat(anonymous.get("labels").get("dev.strata.anonymous").asText()).isEqualTo("/data");
    assertThat(users(anonymous)).containsExactly("k");
    Path data = Path.of(anonymous.get("data").asText());
    assertThat(Files.readString(data.resolve("a.txt"))).isEqualTo("from the image\n");
    assertThat(Files.readString(data.resolve("mine"))).isEqualTo("kept\n");

    // The container run again finds its anonymous volume again.
    assertThat(ok(sh("vol", "cat /data/mine", "--name", "k"))).contains("kept");
    assertThat(volumes()).hasSize(1);

    // A -v on the VOLUME's path takes its place: no anonymous one.
    ok(sh("vol", "test -e /data/a.txt", "--rm", "-v", "named:/data"));
    assertThat(volumes()).hasSize(2);

    Strata.run(store, "rm", "k").assertOk();
    assertThat(volume(anonymous.get("name").asText()).get("dangling").asBoolean()).as("docker rm keeps it").isTrue();
    assertThat(Strata.run(store, "volume", "prune").assertOk().out()).contains(anonymous.get("name").asText());
  }

  @Test
  void volumesFromMountsAnotherContainersVolumesAndBindsWhereItHadThem() throws Exception {
    Path host = Files.createDirectories(dir.resolve("host"));
    Files.setPosixFilePermissions(host, PosixFilePermissions.fromString("rwxrwxrwx"));
    ok(sh("tiny", "echo shared > /s/x; echo bound > /h/y", "--name", "src", "-v", "sv:/s", "-v", host + ":/h"));

    String out = ok(sh("tiny", "cat /s/x /h/y; echo more > /s/z", "--rm", "--volumes-from", "src"));
    assertThat(out).contains("shared").contains("bound");
    assertThat(store.resolve("volumes/sv/data/z")).hasContent("more");

    Commands.Result ro = sh("tiny", "cat /s/x; echo no > /s/refused", "--rm", "--volumes-from", "src:ro");
    assertThat(ro.exit()).as(ro.out()).isNotZero();
    assertThat(ro.out()).contains("shared").contains("Read-only file system");
    assertThat(store.resolve("volumes/sv/data/refused")).doesNotExist();
  }

  @Test
  void aCommitHoldsTheContainersFilesAndNothingOfItsVolumes() throws Exception {
    ok(sh("tiny", "echo v > /vol/in-volume; echo c > /root/in-container", "--name", "c", "-v", "data:/vol"));
    Strata.run(store, "commit", "c", "committed").assertOk();
    String changes = Strata.run(store, "tree", "committed", "--layer", "4", "--changes").assertOk().out();
    assertThat(changes).contains("/root/in-container").doesNotContain("in-volume");
    assertThat(store.resolve("volumes/data/data/in-volume")).hasContent("v");
  }

  @Test
  void twoRunningContainersUseOneVolumeAtOnce() throws Exception {
    Strata.run(store, "volume", "create", "both").assertOk();
    Path log = dir.resolve("a.log");
    // a writes, then waits for the host's word; b, started meanwhile, reads what a wrote, adds
    // to it and gives it away and back as its root may: both have the same ids.
    Process a = StrataProcess.start(store, log, "run", "--name", "a", "-v", "both:/b", "tiny", "--", "/bin/sh", "-c",
        "cat /proc/self/uid_map > /b/ids-a; echo from-a > /b/a; while [ ! -e /b/stop ]; do sleep 0.1; done");
    try {
      awaitFile(store.resolve("volumes/both/data/a"), a, log);
      assertThat(ok(sh("tiny", "cat /b/a; echo from-b >> /b/a; chown 1:1 /b/a; chown 0:0 /b/a; stat -c owner=%u:%g /b/a; "
          + "cmp /proc/self/uid_map /b/ids-a && echo same-ids", "--name", "b", "-v", "both:/b")))
          .contains("from-a", "owner=0:0", "same-ids");
      assertThat(store.resolve("volumes/both/data/a")).hasContent("from-a\nfrom-b");
      assertThat(users(volume("both"))).containsExactly("a", "b");
      // A container without volumes running meanwhile has ids of its own.
      String idsA = Files.readString(store.resolve("volumes/both/data/ids-a")).strip();
      assertThat(idsA).matches("0\\s+\\d+\\s+65536");
      assertThat(ok(sh("tiny", "cat /proc/self/uid_map")).strip()).matches("0\\s+\\d+\\s+65536").isNotEqualTo(idsA);
      Files.writeString(store.resolve("volumes/both/data/stop"), "");
      assertThat(a.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(a.exitValue()).as(Files.readString(log)).isZero();
    } finally {
      a.destroyForcibly();
    }
    Strata.run(store, "rm", "a", "b").assertOk();
    try (Stream<Path> users = Files.list(store.resolve("volumes/both/users"))) {
      assertThat(users).isEmpty();
    }
  }

  /** Waits up to a minute for {@code file}, which {@code container} makes; fails with its {@code log}. */
  private static void awaitFile(Path file, Process container, Path log) throws Exception {
    for (int i = 0; i < 600 && container.isAlive() && !Files.exists(file); i++) {
      Thread.sleep(100);
    }
    assertThat(file).as(Files.exists(log) ? Files.readString(log) : "").exists();
  }

  @Test
  void twoContainersWritingOneVolumeAtOnceLoseNothing() throws Exception {
    int lines = 400;
    List<Process> running = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    Path data = store.resolve("volumes/shared/data");
    try {
      for (String c : List.of("a", "b")) {
        // Each says it runs, waits for the host's word, then appends lines to one file and
        // writes files of its own, at the same time as the other.
        Path log = dir.resolve(c + ".log");
        logs.add(log);
        running.add(StrataProcess.start(store, log, "run", "--name", c, "-v", "shared:/v", "tiny", "--", "/bin/sh",
            "-c", "set -e; touch /v/ready-" + c + "; while [ ! -e /v/go ]; do sleep 0.05; done; i=0; "
                + "while [ $i -lt " + lines + " ]; do echo " + c + "-$i >> /v/log; echo $i > /v/" + c + "-$i; "
                + "i=$((i+1)); done"));
        awaitFile(data.resolve("ready-" + c), running.get(running.size() - 1), log);
      }
      Files.writeString(data.resolve("go"), "");
      for (int i = 0; i < running.size(); i++) {
        assertThat(running.get(i).waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(running.get(i).exitValue()).as(Files.readString(logs.get(i))).isZero();
      }
    } finally {
      running.forEach(Process::destroyForcibly);
    }
    List<String> log = Files.readAllLines(data.resolve("log"));
    assertThat(log).hasSize(2 * lines);
    for (String c : List.of("a", "b")) {
      // Every line of each, whole and in its order.
      assertThat(log.stream().filter(l -> l.startsWith(c + "-")).toList())
          .isEqualTo(java.util.stream.IntStream.range(0, lines).mapToObj(n -> c + "-" + n).toList());
      for (int n = 0; n < lines; n++) {
        assertThat(data.resolve(c + "-" + n)).hasContent(Integer.toString(n));
      }
    }
    Strata.run(store, "rm", "a", "b").assertOk();
  }
}
