package dev.strata.fuse.conformance;

import static dev.strata.fuse.conformance.Posix.OK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.host.FsStats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The general POSIX file calls, on lower files, new files and names the lowers hide. */
class PosixTest extends MountedOverlayTest {
  static final int NAME_MAX = 255;
  static final int PATH_MAX = 4096;

  @OnEachOverlay
  void aNameLongerThanNameMaxIsENAMETOOLONG(Overlay overlay) throws Exception {
    mount(overlay);
    KnownPeerDifferences.assumeKernelAnswerFrom(overlay, KnownPeerDifferences.NAME_MAX_251);
    assertThat(HOST.statfs(mnt).nameMax()).isEqualTo(NAME_MAX);
    Path longest = at("n".repeat(NAME_MAX));
    Path tooLong = at("n".repeat(NAME_MAX + 1));
    assertThat(Posix.open(longest, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL, 0644)).isEqualTo(OK);
    assertThat(list("")).contains(longest.getFileName().toString());
    assertThat(Posix.open(tooLong, Posix.O_WRONLY | Posix.O_CREAT, 0644)).isEqualTo("ENAMETOOLONG");
    assertThat(Posix.mkdir(tooLong, 0755)).isEqualTo("ENAMETOOLONG");
    assertThat(Posix.access(tooLong, Posix.F_OK)).isEqualTo("ENAMETOOLONG");
    assertThat(Posix.rename(at("a"), tooLong, 0)).isEqualTo("ENAMETOOLONG");
  }

  @OnEachOverlay
  void aNewFileAtAPathOfPathMaxMinusOneBytesWorks(Overlay overlay) throws Exception {
    mount(overlay);
    Path file = deepPath(mnt, PATH_MAX - 1);
    Files.createDirectories(file.getParent());
    Files.writeString(file, "deep\n");
    assertThat(file.toString()).hasSize(PATH_MAX - 1);
    assertThat(Files.readString(file)).isEqualTo("deep\n");
    // One more byte: the path with its NUL no longer fits.
    Path longer = Path.of(file.getParent() + "/./" + file.getFileName());
    assertThat(Posix.open(longer, Posix.O_RDONLY, 0)).isEqualTo("ENAMETOOLONG");
  }

  @OnEachOverlay
  void aLowerFileAtAPathNearPathMaxIsCopiedUp(Overlay overlay) throws Exception {
    // The lower file's path in the mount will be PATH_MAX - 1 bytes long; the upper's own
    // path to it is longer still, which a server that opens upper files by absolute path
    // cannot reach.
    Path inMount = deepPath(dir.resolve("mnt"), PATH_MAX - 1);
    Path inLower = lowers().bottom().resolve(dir.resolve("mnt").relativize(inMount));
    Files.createDirectories(inLower.getParent());
    Files.writeString(inLower, "deep lower\n");
    mount(overlay);
    KnownPeerDifferences.assumeKernelAnswerFrom(overlay, KnownPeerDifferences.DEEP_COPY_UP);
    try (FileChannel ch = FileChannel.open(inMount, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      ch.write(ByteBuffer.wrap("more\n".getBytes(StandardCharsets.UTF_8)));
    }
    assertThat(Files.readString(inMount)).isEqualTo("deep lower\nmore\n");
    assertThat(Files.readString(inLower)).isEqualTo("deep lower\n");
  }

  /** A path of exactly {@code length} bytes under {@code root}, in directories of 200-byte names. */
  private static Path deepPath(Path root, int length) {
    String p = root.toString();
    while (length - p.length() - 1 > NAME_MAX) {
      p = p + "/" + "d".repeat(200);
    }
    return Path.of(p + "/" + "f".repeat(length - p.length() - 1));
  }

  @OnEachOverlay
  void anUnlinkedOpenFileStaysReadableAndWritable(Overlay overlay) throws Exception {
    mount(overlay);
    try (FileChannel lowerFile = FileChannel.open(at("a"), StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileChannel newFile = FileChannel.open(at("new"), StandardOpenOption.READ, StandardOpenOption.WRITE,
            StandardOpenOption.CREATE_NEW)) {
      newFile.write(ByteBuffer.wrap("new\n".getBytes(StandardCharsets.UTF_8)));
      Files.delete(at("a"));
      Files.delete(at("new"));
      assertThat(list("")).doesNotContain("a", "new");
      lowerFile.write(ByteBuffer.wrap("more\n".getBytes(StandardCharsets.UTF_8)), lowerFile.size());
      newFile.write(ByteBuffer.wrap("more\n".getBytes(StandardCharsets.UTF_8)));
      assertThat(content(lowerFile)).isEqualTo("a from l2, longer than before\nmore\n");
      assertThat(content(newFile)).isEqualTo("new\nmore\n");
    }
    assertThat(Files.exists(at("a"))).isFalse();
    assertThat(Files.readString(lower("l2/a"))).isEqualTo("a from l2, longer than before\n");
  }

  private static String content(FileChannel ch) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) ch.size());
    ch.read(b, 0);
    return new String(b.array(), StandardCharsets.UTF_8);
  }

  @OnEachOverlay
  void appendWritesAtTheEndWhateverTheOffset(Overlay overlay) throws Exception {
    mount(overlay);
    try (Posix.Fd fd = Posix.fd(at("a"), Posix.O_WRONLY | Posix.O_APPEND, 0)) {
      assertThat(fd.write("tail\n".getBytes(StandardCharsets.UTF_8), 0)).isEqualTo(OK);
      // Linux appends even a pwrite on an O_APPEND descriptor.
      assertThat(fd.write("X".getBytes(StandardCharsets.UTF_8), 3)).isEqualTo(OK);
    }
    assertThat(read("a")).isEqualTo("a from l2, longer than before\ntail\nX");
  }

  @OnEachOverlay
  void exclusiveCreateFailsOnEveryNameThatExists(Overlay overlay) throws Exception {
    mount(overlay);
    int excl = Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL;
    assertThat(Posix.open(at("a"), excl, 0644)).as("a lower file").isEqualTo("EEXIST");
    assertThat(Posix.open(at("d1"), excl, 0644)).as("a merged directory").isEqualTo("EEXIST");
    assertThat(Posix.open(at("s"), excl, 0644)).as("a dangling symlink, not followed").isEqualTo("EEXIST");
    assertThat(Posix.open(at("b"), excl, 0640)).as("a whited-out name").isEqualTo(OK);
    assertThat(Posix.open(at("d1/d2"), excl, 0640)).as("a whited-out directory").isEqualTo(OK);
    assertThat(Files.size(at("b"))).isZero();
    assertThat(mode("d1/d2")).isEqualTo(0100640);
    assertThat(Posix.open(at("b"), excl, 0644)).as("made just now").isEqualTo("EEXIST");
  }

  @OnEachOverlay
  void truncateOnOpenEmptiesALowerFile(Overlay overlay) throws Exception {
    mount(overlay);
    assertThat(Posix.open(at("c"), Posix.O_WRONLY | Posix.O_TRUNC, 0)).isEqualTo(OK);
    assertThat(Files.size(at("c"))).isZero();
    assertThat(mode("c") & 07777).isEqualTo(0600);
    assertThat(Files.readString(lower("l3/c"))).isEqualTo("c from l3\n");
  }

  @OnEachOverlay
  void ftruncateShrinksAndGrowsALowerFile(Overlay overlay) throws Exception {
    mount(overlay);
    byte[] big = Files.readAllBytes(lower("l3/big"));
    try (Posix.Fd fd = Posix.fd(at("big"), Posix.O_RDWR, 0)) {
      assertThat(fd.truncate(1000)).isEqualTo(OK);
      assertThat(Files.readAllBytes(at("big"))).isEqualTo(Arrays.copyOf(big, 1000));
      assertThat(fd.truncate(5000)).isEqualTo(OK);
    }
    assertThat(Files.readAllBytes(at("big"))).isEqualTo(Arrays.copyOf(Arrays.copyOf(big, 1000), 5000));
    assertThat(Files.readAllBytes(lower("l3/big"))).isEqualTo(big);
  }

  @OnEachOverlay
  void fsyncAndFdatasyncSucceedOnFilesAndDirectories(Overlay overlay) throws Exception {
    mount(overlay);
    try (Posix.Fd file = Posix.fd(at("a"), Posix.O_RDWR, 0);
        Posix.Fd fresh = Posix.fd(at("new"), Posix.O_RDWR | Posix.O_CREAT, 0644);
        Posix.Fd directory = Posix.fd(at("d1"), Posix.O_RDONLY | Posix.O_DIRECTORY, 0)) {
      assertThat(file.write("A".getBytes(StandardCharsets.UTF_8), 0)).isEqualTo(OK);
      assertThat(fresh.write("new".getBytes(StandardCharsets.UTF_8), 0)).isEqualTo(OK);
      assertThat(file.fsync()).isEqualTo(OK);
      assertThat(file.fdatasync()).isEqualTo(OK);
      assertThat(fresh.fsync()).isEqualTo(OK);
      assertThat(fresh.fdatasync()).isEqualTo(OK);
      assertThat(directory.fsync()).isEqualTo(OK);
    }
    assertThat(read("a")).startsWith("A from l2");
    assertThat(read("new")).isEqualTo("new");
  }

  @OnEachOverlay
  void utimensatSetsNanosecondsAndHonoursNowAndOmit(Overlay overlay) throws Exception {
    mount(overlay);
    assertThat(Posix.utimens(at("a"), 1_000_000_000L, 123_456_789, 1_100_000_000L, 987_654_321, 0)).isEqualTo(OK);
    assertThat(nanos(stat("a").get("lastAccessTime"))).isEqualTo(1_000_000_000_123_456_789L);
    assertThat(nanos(stat("a").get("lastModifiedTime"))).isEqualTo(1_100_000_000_987_654_321L);

    long before = System.currentTimeMillis();
    assertThat(Posix.utimens(at("a"), 0, Posix.UTIME_OMIT, 0, Posix.UTIME_NOW, 0)).isEqualTo(OK);
    long after = System.currentTimeMillis();
    assertThat(nanos(stat("a").get("lastAccessTime"))).as("omitted").isEqualTo(1_000_000_000_123_456_789L);
    // The kernel's clock is coarse, a tick behind the JVM's at most: a second each side is plenty.
    assertThat(nanos(stat("a").get("lastModifiedTime")) / 1_000_000).isBetween(before - 1000, after + 1000);

    assertThat(Posix.utimens(at("d1"), 7, 1, 0, Posix.UTIME_OMIT, 0)).isEqualTo(OK);
    assertThat(nanos(stat("d1").get("lastAccessTime"))).isEqualTo(7_000_000_001L);
  }

  @OnEachOverlay
  void utimensatOfASymlinkSetsTheLinkItself(Overlay overlay) throws Exception {
    mount(overlay);
    long targetMtime = nanos(stat("a").get("lastModifiedTime"));
    Files.createSymbolicLink(at("to-a"), Path.of("a"));
    assertThat(Posix.utimens(at("s"), 5, 5, 6, 6, Posix.AT_SYMLINK_NOFOLLOW)).isEqualTo(OK);
    assertThat(Posix.utimens(at("to-a"), 5, 5, 6, 6, Posix.AT_SYMLINK_NOFOLLOW)).isEqualTo(OK);
    assertThat(nanos(stat("s").get("lastModifiedTime"))).isEqualTo(6_000_000_006L);
    assertThat(nanos(stat("to-a").get("lastModifiedTime"))).isEqualTo(6_000_000_006L);
    assertThat(nanos(stat("a").get("lastModifiedTime"))).isEqualTo(targetMtime);
  }

  @OnEachOverlay
  void statfsAnswersForTheUpperFilesystem(Overlay overlay) throws Exception {
    mount(overlay);
    FsStats merged = HOST.statfs(mnt);
    FsStats upper = HOST.statfs(dir.resolve("upper"));
    assertThat(merged.blockSize()).isEqualTo(upper.blockSize());
    assertThat(merged.blocks()).isEqualTo(upper.blocks());
    assertThat(merged.files()).isEqualTo(upper.files());
    assertThat(merged.blocksAvailable()).isPositive().isLessThanOrEqualTo(merged.blocksFree());
  }

  @OnEachOverlay
  void accessAnswersForTheMergedFile(Overlay overlay) throws Exception {
    mount(overlay);
    Map<String, String> answers = new LinkedHashMap<>();
    answers.put("a rw", Posix.access(at("a"), Posix.R_OK | Posix.W_OK));
    answers.put("a x, no x bit: not even root", Posix.access(at("a"), Posix.X_OK));
    answers.put("suid x", Posix.access(at("suid"), Posix.X_OK));
    answers.put("d1 x", Posix.access(at("d1"), Posix.X_OK));
    answers.put("b, whited out", Posix.access(at("b"), Posix.F_OK));
    answers.put("x/a, under an opaque directory", Posix.access(at("x/a"), Posix.F_OK));
    answers.put("y/f, y is a file now", Posix.access(at("y/f"), Posix.F_OK));
    answers.put("s, a dangling link followed", Posix.access(at("s"), Posix.F_OK));
    assertThat(answers).isEqualTo(Map.of("a rw", OK, "a x, no x bit: not even root", "EACCES",
        "suid x", OK, "d1 x", OK, "b, whited out", "ENOENT", "x/a, under an opaque directory", "ENOENT",
        "y/f, y is a file now", "ENOTDIR", "s, a dangling link followed", "ENOENT"));
  }

  @OnEachOverlay
  void aMountWithoutUpperIsReadOnly(Overlay overlay) throws Exception {
    mountReadOnly(overlay);
    assertThat(read("a")).isEqualTo("a from l2, longer than before\n");
    assertThat(list("d1")).containsExactly("e", "f", "n");
    Map<String, String> answers = new LinkedHashMap<>();
    answers.put("open for writing", Posix.open(at("a"), Posix.O_WRONLY, 0));
    answers.put("create", Posix.open(at("new"), Posix.O_WRONLY | Posix.O_CREAT, 0644));
    answers.put("mkdir", Posix.mkdir(at("d9"), 0755));
    answers.put("unlink", Posix.unlink(at("a")));
    answers.put("rename", Posix.rename(at("a"), at("a2"), 0));
    answers.put("utimensat", Posix.utimens(at("a"), 1, 0, 1, 0, 0));
    assertThat(answers).isEqualTo(Map.of("open for writing", "EROFS", "create", "EROFS",
        "mkdir", "EROFS", "unlink", "EROFS", "rename", "EROFS", "utimensat", "EROFS"));
  }

  @OnEachOverlay
  void accessForWritingOnAMountWithoutUpperIsEROFS(Overlay overlay) throws Exception {
    mountReadOnly(overlay);
    KnownPeerDifferences.assumeKernelAnswerFrom(overlay, KnownPeerDifferences.READ_ONLY_ACCESS);
    assertThat(Posix.access(at("a"), Posix.W_OK)).isEqualTo("EROFS");
    assertThat(Posix.access(at("a"), Posix.R_OK)).isEqualTo(OK);
  }

  @OnEachOverlay
  void everyDirectoryEntryCarriesTheInodeNumberStatAnswers(Overlay overlay) throws Exception {
    mount(overlay);
    write("a", "copied up\n");
    write("new", "new\n");
    Files.createDirectories(at("d1/made"));
    for (String d : List.of("", "d1", "d1/made", "e", "hd", "w", "x")) {
      Map<String, Long> entries = DirEntries.inodes(at(d));
      Map<String, Long> stats = new TreeMap<>();
      for (String name : entries.keySet()) {
        // The root's ".." is outside the mount.
        if (!(d.isEmpty() && name.equals(".."))) {
          stats.put(name, (Long) stat(at(d).resolve(name)).get("ino"));
        }
      }
      entries.keySet().retainAll(stats.keySet());
      assertThat(entries).as("d_ino of /%s", d).isEqualTo(stats);
    }
  }
}
