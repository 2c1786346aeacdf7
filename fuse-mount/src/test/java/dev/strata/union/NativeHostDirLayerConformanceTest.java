package dev.strata.union;

import dev.strata.fuse.NativeHostFiles;
import java.nio.file.Files;
import java.nio.file.Path;

/** The conformance suite on a host directory read through the native host calls: trusted.* and security.* seen. */
class NativeHostDirLayerConformanceTest extends LowerLayerConformanceTest {
  @Override
  LowerLayer create(LayerFixture fixture, Path dir) throws Exception {
    HostFiles host = NativeHostFiles.create();
    Path root = Files.createDirectory(dir.resolve("layer"));
    fixture.extract(root, host.overlayXattrPrefix());
    return HostDirLayer.open(root, host);
  }

  @Override
  boolean marksImpliedDirectories() {
    return false;
  }
}
