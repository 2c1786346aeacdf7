package dev.strata.fuse.conformance;

import dev.strata.fuse.LowerFixture;
import dev.strata.fuse.TestHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Three lower layers in kernel overlay format, top first: {@link LowerFixture}'s (whiteouts of a
 * file and a directory, an opaque directory, nested directories merged from every layer, a file
 * with three names, a dangling symlink, xattrs, owners, a 300 kB file) and what a mount adds to
 * test: a fifo, a file with exactly two visible names, a setuid file anyone may write.
 *
 * <p>The merged root then lists: a, big, c, d1 (e, f, n), e (f), f, fifo, h1, hd (h2), s, suid,
 * w (f), x (n), y. Hidden: b (whiteout), d1/d2 (whiteout of a directory), x/a, x/b, x/c
 * (opaque x).
 */
record ConformanceLowers(Path top, Path middle, Path bottom) {
  static final String H1 = "two names\n";

  static ConformanceLowers build(Path dir, TestHost host) throws IOException {
    ConformanceLowers layers = new ConformanceLowers(dir.resolve("l1"), dir.resolve("l2"), dir.resolve("l3"));
    LowerFixture.build(layers.top, layers.middle, layers.bottom, host);
    host.mknod(layers.bottom.resolve("fifo"), 0010644, 0, 0);
    Files.writeString(layers.bottom.resolve("h1"), H1);
    Files.createDirectories(layers.bottom.resolve("hd"));
    Files.createLink(layers.bottom.resolve("hd/h2"), layers.bottom.resolve("h1"));
    Files.writeString(layers.bottom.resolve("suid"), "setuid\n");
    host.chmod(layers.bottom.resolve("suid"), 06777);
    host.setxattr(layers.top.resolve("e"), "user.dir", "top".getBytes());
    return layers;
  }

  List<Path> topFirst() {
    return List.of(top, middle, bottom);
  }
}
