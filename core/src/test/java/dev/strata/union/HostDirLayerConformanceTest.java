package dev.strata.union;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The conformance suite on a host directory in kernel overlay format, read through the
 * pure-Java host calls: they see {@code user.*} xattrs only, so the opaque directory is marked
 * with {@code user.overlay.opaque} (the kernel's userxattr convention) and security.capability
 * is not shown. Needs root (mknod, chown) and setfattr (Debian package attr).
 */
class HostDirLayerConformanceTest extends LowerLayerConformanceTest {
  @Override
  LowerLayer create(LayerFixture fixture, Path dir) throws Exception {
    Path root = Files.createDirectory(dir.resolve("layer"));
    fixture.extract(root, JavaHostFiles.INSTANCE.overlayXattrPrefix());
    return HostDirLayer.open(root, JavaHostFiles.INSTANCE);
  }

  @Override
  boolean marksImpliedDirectories() {
    return false;
  }

  @Override
  boolean showsXattr(String name) {
    return name.startsWith("user.");
  }
}
