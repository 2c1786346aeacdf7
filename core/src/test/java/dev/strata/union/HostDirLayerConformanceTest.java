package dev.strata.union;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The conformance suite on a host directory whose overlay marks are {@code user.overlay.*}, as
 * a rootless upper keeps them (the kernel's userxattr convention, fuse-overlayfs without root).
 * Needs root (mknod, chown) and setfattr (Debian package attr).
 */
class HostDirLayerConformanceTest extends LowerLayerConformanceTest {
  @Override
  LowerLayer create(LayerFixture fixture, Path dir) throws Exception {
    Path root = Files.createDirectory(dir.resolve("layer"));
    fixture.extract(root, "user.overlay.");
    return HostDirLayer.open(root);
  }

  @Override
  boolean marksImpliedDirectories() {
    return false;
  }
}
