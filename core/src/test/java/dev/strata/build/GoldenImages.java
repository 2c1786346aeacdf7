package dev.strata.build;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.strata.image.Compression;
import dev.strata.image.Image;
import dev.strata.image.Platform;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;

/** Images built from fixed inputs, whose digests tests pin. */
final class GoldenImages {
  private GoldenImages() {}

  static final Platform AMD64 = new Platform("linux", "amd64", null);
  static final Instant TIME = Instant.ofEpochSecond(1_700_000_000L);

  static BuildOptions options(Compression compression, Path scratch) {
    return BuildOptions.defaults().withTimestamp(TIME).withCompression(compression).withScratch(scratch);
  }

  /**
   * An image of two layers on nothing: files with owners, modes and times given, a symlink, a
   * hard link, a directory, then a layer that deletes a file and replaces a directory whole.
   */
  static Image twoLayers(BuildOptions options) throws IOException {
    return ImageBuilder.scratch(AMD64)
        .directory("/etc", FileAttributes.mode(0755))
        .file("/etc/motd", "hello from strata\n".getBytes(UTF_8), FileAttributes.mode(0644))
        .file("/usr/bin/tool", "#!/bin/sh\necho tool\n".getBytes(UTF_8), FileAttributes.mode(04755))
        .file("/home/user/notes", "mine\n".getBytes(UTF_8),
            FileAttributes.mode(0600).withOwner(1000, 1000).withMtime(Instant.ofEpochSecond(1_600_000_000L, 5)))
        .symlink("/usr/bin/alias", "tool", FileAttributes.mode(0777))
        .file("/usr/share/doc/README", "docs\n".getBytes(UTF_8), FileAttributes.mode(0644))
        .createdBy("golden: base")
        .newLayer()
        .delete("/usr/share/doc")
        .replaceDirectory("/home/user")
        .file("/home/user/.profile", "export A=1\n".getBytes(UTF_8), FileAttributes.mode(0644).withOwner(1000, 1000))
        .createdBy("golden: change")
        .entrypoint("/usr/bin/tool")
        .cmd("--help")
        .env("PATH", "/usr/bin:/bin")
        .workingDir("/home/user")
        .user("1000:1000")
        .label("org.opencontainers.image.title", "golden")
        .exposedPort("8080")
        .volume("/data")
        .build(options);
  }
}
