package dev.strata.union;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.strata.host.Errno;
import dev.strata.host.HostPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The other spellings of the overlay format that a host directory may hold (fuse-overlayfs and
 * AUFS whiteout files, xattr whiteouts, redirects), and symlinks that must not be followed.
 */
class HostDirLayerTest {

  @TempDir Path dir;
  private Path root;

  @BeforeEach
  void setUp() throws IOException {
    root = Files.createDirectory(dir.resolve("layer"));
  }

  private HostDirLayer layer() throws IOException {
    return HostDirLayer.open(root);
  }

  @Test
  void whiteoutFilesDeleteTheirNames() throws IOException {
    Files.createDirectory(root.resolve("etc"));
    Files.write(root.resolve("etc/.wh.gone"), new byte[0]);
    Files.write(root.resolve("etc/kept"), new byte[] {1});

    HostDirLayer layer = layer();

    assertThat(layer.stat("etc/gone").type()).isEqualTo(FileType.WHITEOUT);
    assertThat(layer.stat("etc/gone").name()).isEqualTo("gone");
    assertThat(layer.stat("etc/.wh.gone")).isNull();
    assertThat(layer.list("etc")).extracting(LowerEntry::name, LowerEntry::type)
        .containsExactlyInAnyOrder(tuple("gone", FileType.WHITEOUT), tuple("kept", FileType.REGULAR));
    LowerLayerConformanceTest.assertErrno(() -> layer.open("etc/gone"), Errno.ENOENT);
  }

  @Test
  void anOpaqueMarkerFileMakesItsDirectoryOpaqueAndIsNotListed() throws IOException {
    Files.createDirectory(root.resolve("d"));
    Files.write(root.resolve("d/.wh..wh..opq"), new byte[0]);
    Files.write(root.resolve("d/new"), new byte[0]);
    Files.createDirectory(root.resolve("plain"));

    HostDirLayer layer = layer();

    assertThat(layer.stat("d").opaque()).isTrue();
    assertThat(layer.stat("plain").opaque()).isFalse();
    assertThat(layer.list("d")).extracting(LowerEntry::name).containsExactly("new");
    assertThat(layer.list("")).extracting(LowerEntry::name, LowerEntry::opaque)
        .containsExactlyInAnyOrder(tuple("d", true), tuple("plain", false));
  }

  @Test
  void aufsMetadataIsNotListed() throws IOException {
    Files.createDirectory(root.resolve(".wh..wh.plnk"));
    Files.write(root.resolve(".wh..wh.aufs"), new byte[0]);
    Files.write(root.resolve("a"), new byte[0]);

    HostDirLayer layer = layer();

    assertThat(layer.list("")).extracting(LowerEntry::name).containsExactly("a");
    assertThat(layer.stat(".wh..wh.plnk")).isNull();
    assertThat(layer.list(".wh..wh.plnk")).isEmpty();
  }

  @Test
  void aWhiteoutFileBesideARealNameDeletesOnlyWhatIsBelow() throws IOException {
    Files.createDirectory(root.resolve("a"));
    Files.write(root.resolve(".wh.a"), new byte[0]);
    Files.write(root.resolve("f"), new byte[0]);
    Files.write(root.resolve(".wh.f"), new byte[0]);

    HostDirLayer layer = layer();

    assertThat(layer.stat("a").opaque()).isTrue();
    assertThat(layer.stat("f").type()).isEqualTo(FileType.REGULAR);
    assertThat(layer.list("")).extracting(LowerEntry::name, LowerEntry::type, LowerEntry::opaque)
        .containsExactlyInAnyOrder(tuple("a", FileType.DIRECTORY, true), tuple("f", FileType.REGULAR, false));
  }

  @Test
  void xattrWhiteoutsRedirectsAndOpaqueValues() throws IOException {
    Path marked = Files.write(root.resolve("marked"), new byte[0]);
    HostPaths.setxattr(marked, "user.overlay.whiteout", new byte[0]);
    Path full = Files.write(root.resolve("full"), new byte[] {1});
    HostPaths.setxattr(full, "user.overlay.whiteout", new byte[0]);
    Path moved = Files.createDirectory(root.resolve("moved"));
    HostPaths.setxattr(moved, "user.overlay.redirect", "/old/place".getBytes(UTF_8));
    HostPaths.setxattr(moved, "user.overlay.opaque", "y".getBytes(UTF_8));
    HostPaths.setxattr(moved, "user.mine", "m".getBytes(UTF_8));
    // "x": a directory that holds xattr whiteouts, not an opaque one (kernel 6.7).
    Path holder = Files.createDirectory(root.resolve("holder"));
    HostPaths.setxattr(holder, "user.overlay.opaque", "x".getBytes(UTF_8));

    HostDirLayer layer = layer();

    assertThat(layer.stat("marked").type()).isEqualTo(FileType.WHITEOUT);
    assertThat(layer.stat("full").type()).as("only an empty file is a whiteout").isEqualTo(FileType.REGULAR);
    assertThat(layer.stat("moved").redirect()).isEqualTo("/old/place");
    assertThat(layer.stat("moved").opaque()).isTrue();
    assertThat(layer.stat("holder").opaque()).isFalse();
    assertThat(layer.xattrs("moved")).containsOnlyKeys("user.mine");
    assertThat(layer.xattrs("full")).isEmpty();
  }

  @Test
  void metacopyMarksInEitherConventionAndOnRegularFilesOnly() throws IOException {
    Path moved = Files.write(root.resolve("moved"), new byte[0]);
    HostPaths.setxattr(moved, "user.overlay.metacopy", new byte[0]);
    HostPaths.setxattr(moved, "user.overlay.redirect", "/old".getBytes(UTF_8));
    Path kept = Files.write(root.resolve("kept"), new byte[] {1, 2});
    HostPaths.setxattr(kept, "trusted.overlay.metacopy", new byte[0]);
    HostPaths.setxattr(kept, "trusted.overlay.origin", new byte[] {0, (byte) 0xfb});
    HostPaths.setxattr(kept, "user.mine", "m".getBytes(UTF_8));
    Path dir = Files.createDirectory(root.resolve("dir"));
    HostPaths.setxattr(dir, "user.overlay.metacopy", new byte[0]);
    Files.write(root.resolve("plain"), new byte[] {1});

    HostDirLayer layer = layer();

    assertThat(layer.metacopy("moved")).isEqualTo(new LowerLayer.Metacopy("/old"));
    assertThat(layer.metacopy("kept")).isEqualTo(new LowerLayer.Metacopy(null));
    assertThat(layer.metacopy("dir")).isNull();
    assertThat(layer.metacopy("plain")).isNull();
    assertThat(layer.stat("kept").size()).as("its own size and metadata").isEqualTo(2);
    assertThat(layer.xattrs("kept")).containsOnlyKeys("user.mine");
    LowerLayerConformanceTest.assertErrno(() -> layer.metacopy("nope"), Errno.ENOENT);
  }

  @Test
  void symlinksAreNeverFollowedNotEvenAmongAncestors() throws IOException {
    Path outside = Files.createDirectory(dir.resolve("outside"));
    Files.write(outside.resolve("secret"), "secret".getBytes(UTF_8));
    Files.createSymbolicLink(root.resolve("link"), outside);
    Files.createSymbolicLink(root.resolve("file-link"), outside.resolve("secret"));

    HostDirLayer layer = layer();

    assertThat(layer.stat("link").type()).isEqualTo(FileType.SYMLINK);
    assertThat(layer.stat("link/secret")).isNull();
    assertThat(layer.list("link")).isEmpty();
    LowerLayerConformanceTest.assertErrno(() -> layer.open("link/secret"), Errno.ENOENT);
    LowerLayerConformanceTest.assertErrno(() -> layer.open("file-link"), Errno.EINVAL);
    assertThat(layer.readlink("link")).isEqualTo(outside.toString());
  }

  @Test
  void deviceNumbersBeyondEightBitsAreDecoded() throws Exception {
    Process p = new ProcessBuilder("mknod", root.resolve("nvme").toString(), "b", "259", "70000").inheritIO().start();
    assertThat(p.waitFor()).isZero();

    LowerEntry e = layer().stat("nvme");

    assertThat(e.type()).isEqualTo(FileType.BLOCK_DEVICE);
    assertThat(e.rdevMajor()).isEqualTo(259);
    assertThat(e.rdevMinor()).isEqualTo(70000);
    assertThat(e.size()).isZero();
  }

  @Test
  void theRootMustBeADirectoryAndASymlinkToOneIsFollowed() throws IOException {
    Path file = Files.write(dir.resolve("file"), new byte[0]);
    assertThatThrownBy(() -> HostDirLayer.open(file)).isInstanceOf(NotDirectoryException.class);
    Files.write(root.resolve("a"), new byte[0]);
    Path alias = Files.createSymbolicLink(dir.resolve("alias"), root);

    HostDirLayer layer = HostDirLayer.open(alias);

    assertThat(layer.root()).isEqualTo(root.toRealPath());
    assertThat(layer.list("")).extracting(LowerEntry::name).containsExactly("a");
    assertThat(layer.stat("").name()).isEmpty();
    assertThat(layer.describe()).isEqualTo("dir " + root.toRealPath());
  }

  @org.junit.jupiter.api.Test
  void aDirectoryShowsItsHostSizeAsTheKernelsOverlayShowsALowerDirectory() throws IOException {
    java.nio.file.Path root = java.nio.file.Files.createDirectories(dir.resolve("sized"));
    java.nio.file.Files.createDirectories(root.resolve("d"));
    for (int i = 0; i < 200; i++) {
      java.nio.file.Files.createFile(root.resolve("d/" + "n".repeat(100) + i));
    }
    long host = java.nio.file.Files.size(root.resolve("d"));
    assertThat(host).isGreaterThan(4096);
    assertThat(HostDirLayer.open(root).stat("d").size()).isEqualTo(host);
  }
}
