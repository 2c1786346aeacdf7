package dev.strata.fuse.conformance;

import static dev.strata.fuse.conformance.Posix.OK;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Fifos, device nodes and symlinks: served as what they are, never opened or followed by the mount itself. */
class SpecialFileTest extends MountedOverlayTest {
  private static final int S_IFIFO = 0010000;
  private static final int S_IFCHR = 0020000;
  private static final int S_IFLNK = 0120000;

  @OnEachOverlay
  void aLowerFifoIsAFifo(Overlay overlay) throws Exception {
    mount(overlay);
    assertThat(mode("fifo")).isEqualTo(S_IFIFO | 0644);
    assertThat(Posix.open(at("fifo"), Posix.O_RDONLY | Posix.O_NONBLOCK, 0)).isEqualTo(OK);
  }

  @OnEachOverlay
  void aFifoMadeInTheMountCarriesData(Overlay overlay) throws Exception {
    mount(overlay);
    HOST.mknod(at("pipe"), S_IFIFO | 0600, 0, 0);
    assertThat(mode("pipe")).isEqualTo(S_IFIFO | 0600);
    CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
      try {
        Files.writeString(at("pipe"), "through the fifo\n");
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    CompletableFuture<String> reader = CompletableFuture.supplyAsync(() -> {
      try {
        return Files.readString(at("pipe"));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    // A bound on a deadlock, not on speed.
    writer.get(20, TimeUnit.SECONDS);
    assertThat(reader.get(20, TimeUnit.SECONDS)).isEqualTo("through the fifo\n");
  }

  @OnEachOverlay
  void aCharacterDeviceMadeByMknodIsADevice(Overlay overlay) throws Exception {
    mount(overlay);
    HOST.mknod(at("null"), S_IFCHR | 0644, 1, 3);
    assertThat(mode("null")).isEqualTo(S_IFCHR | 0644);
    assertThat(stat("null").get("rdev")).isEqualTo((1L << 8) | 3);
    Files.writeString(at("null"), "into /dev/null\n");
    assertThat(Files.readAllBytes(at("null"))).isEmpty();
  }

  @OnEachOverlay
  void symlinksAreReadNotFollowed(Overlay overlay) throws Exception {
    mount(overlay);
    assertThat(mode("s") & S_IFMT).isEqualTo(S_IFLNK);
    assertThat(Posix.readlink(at("s"))).isEqualTo("/nowhere/s");
    assertThat(Files.exists(at("s"), LinkOption.NOFOLLOW_LINKS)).isTrue();
    assertThat(Files.exists(at("s"))).isFalse();
    assertThat(Posix.open(at("s"), Posix.O_RDONLY | Posix.O_NOFOLLOW, 0)).isEqualTo("ELOOP");
    assertThat(Posix.readlink(at("a"))).isEqualTo("EINVAL");
  }

  @OnEachOverlay
  void aSymlinkMadeInTheMountResolvesInsideIt(Overlay overlay) throws Exception {
    mount(overlay);
    Files.createSymbolicLink(at("d1/to-a"), Path.of("../a"));
    assertThat(Posix.readlink(at("d1/to-a"))).isEqualTo("../a");
    assertThat(read("d1/to-a")).isEqualTo("a from l2, longer than before\n");
    HOST.lchown(at("d1/to-a"), 1000, 1000);
    assertThat(stat("d1/to-a")).containsEntry("uid", 1000);
    assertThat(stat("a")).containsEntry("uid", 0);
  }

  @OnEachOverlay
  void aLowerSymlinkChangedByLchownKeepsItsTarget(Overlay overlay) throws Exception {
    mount(overlay);
    HOST.lchown(at("s"), 1000, 1000);
    assertThat(stat("s")).containsEntry("uid", 1000).containsEntry("gid", 1000);
    assertThat(Posix.readlink(at("s"))).isEqualTo("/nowhere/s");
  }

  @OnEachOverlay
  void chmodOfALowerFifoCopiesItUpWithoutReadingIt(Overlay overlay) throws Exception {
    // Copying a fifo's "data" would block for ever on its open.
    mount(overlay);
    KnownPeerDifferences.assumeKernelAnswerFrom(overlay, KnownPeerDifferences.CHMOD_LOWER_FIFO);
    HOST.chmod(at("fifo"), 0600);
    HOST.lchown(at("fifo"), 1000, 1000);
    assertThat(mode("fifo")).isEqualTo(S_IFIFO | 0600);
    assertThat(stat("fifo")).containsEntry("uid", 1000);
  }
}
