package dev.strata.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Three lower layers in kernel overlay format, top first, that hold what unions get wrong:
 * nested directories, a whiteout of a file and of a directory, an opaque directory, a directory
 * replaced by a file, a file replaced by a directory, dangling symlinks, xattrs, owners, modes,
 * and a file large enough for copy-up to matter.
 */
public final class LowerFixture {
  private LowerFixture() {}

  public static void build(Path l1, Path l2, Path l3, TestHost host) throws IOException {
    // bottom layer
    file(l3, "a", "a from l3\n");
    file(l3, "b", "b from l3\n");
    file(l3, "c", "c from l3\n");
    file(l3, "d1/f", "d1/f from l3\n");
    file(l3, "d1/d2/f", "deep\n");
    file(l3, "d1/d2/e", "deep e\n");
    file(l3, "x/a", "x/a\n");
    file(l3, "x/b", "x/b\n");
    file(l3, "y/f", "y/f\n");
    file(l3, "w", "w is a file in l3\n");
    Files.createSymbolicLink(l3.resolve("s"), Path.of("/nowhere/s"));
    // one file with three names, two of them in other directories
    file(l3, "f", "f has three names\n");
    Files.createLink(l3.resolve("d1/n"), l3.resolve("f"));
    Files.createLink(l3.resolve("x/c"), l3.resolve("f"));
    byte[] big = new byte[300_000];
    new Random(42).nextBytes(big);
    Files.write(l3.resolve("big"), big);
    host.setxattr(l3.resolve("a"), "user.k0", "from-l3".getBytes());
    host.lchown(l3.resolve("c"), 1000, 1000);
    host.chmod(l3.resolve("c"), 0600);
    host.chmod(l3.resolve("d1/d2"), 0700);

    // middle layer: whiteouts, an opaque dir, a dir replaced by a file, new content
    Files.createDirectories(l2.resolve("x"));
    host.setxattr(l2.resolve("x"), "trusted.overlay.opaque", new byte[] {'y'});
    file(l2, "x/n", "x/n from l2\n");
    host.mknod(l2.resolve("b"), 0020000, 0, 0);
    file(l2, "y", "y is now a file\n");
    file(l2, "a", "a from l2, longer than before\n");
    Files.createDirectories(l2.resolve("w"));
    file(l2, "w/f", "w is a dir in l2\n");
    file(l2, "d1/e", "d1/e from l2\n");

    // top layer: a whiteout of a directory, a new directory
    Files.createDirectories(l1.resolve("d1"));
    host.mknod(l1.resolve("d1/d2"), 0020000, 0, 0);
    file(l1, "e/f", "e/f from l1\n");
    host.setxattr(l1.resolve("e/f"), "user.k1", "top".getBytes());
  }

  private static void file(Path layer, String path, String content) throws IOException {
    Path p = layer.resolve(path);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
  }
}
