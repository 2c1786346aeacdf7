package dev.strata.union;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The conformance suite on a host directory whose overlay marks are {@code trusted.overlay.*},
 * as root writes them (kernel overlayfs, fuse-overlayfs as root). Needs root.
 */
class TrustedHostDirLayerConformanceTest extends LowerLayerConformanceTest {
  @Override
  LowerLayer create(LayerFixture fixture, Path dir) throws Exception {
    Path root = Files.createDirectory(dir.resolve("layer"));
    fixture.extract(root, "trusted.overlay.");
    return HostDirLayer.open(root);
  }

  @Override
  boolean marksImpliedDirectories() {
    return false;
  }
}
