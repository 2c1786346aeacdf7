package dev.strata.fuse.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Map;

/** The first change to a lower file or directory: it must look as it did, but for the change. */
class CopyUpTest extends MountedOverlayTest {
  @OnEachOverlay
  void aWriteChangesTheMergedFileAndNotTheLower(Overlay overlay) throws Exception {
    mount(overlay);
    write("d1/f", "changed\n");
    assertThat(read("d1/f")).isEqualTo("changed\n");
    assertThat(read("d1/e")).isEqualTo("d1/e from l2\n");
    assertThat(Files.readString(lower("l3/d1/f"))).isEqualTo("d1/f from l3\n");
  }

  @OnEachOverlay
  void openingForWritingKeepsModeOwnerTimesAndXattrs(Overlay overlay) throws Exception {
    prepareEf();
    mount(overlay);
    Map<String, Object> before = kept("e/f");
    assertThat(Posix.open(at("e/f"), Posix.O_WRONLY, 0)).isEqualTo(Posix.OK);
    assertThat(kept("e/f")).isEqualTo(before);
    assertThat(xattr("e/f", "user.k1")).isEqualTo("top");
    assertThat(nanos(stat("e/f").get("lastAccessTime"))).isEqualTo(1_200_000_000_000_000_007L);
  }

  @OnEachOverlay
  void settingAnXattrKeepsModeOwnerTimesAndTheOtherXattrs(Overlay overlay) throws Exception {
    prepareEf();
    mount(overlay);
    Map<String, Object> before = kept("e/f");
    HOST.setxattr(at("e/f"), "user.k2", "two".getBytes(StandardCharsets.UTF_8));
    assertThat(kept("e/f")).isEqualTo(before);
    assertThat(HOST.listxattr(at("e/f"))).containsExactlyInAnyOrder("user.k1", "user.k2");
  }

  @OnEachOverlay
  void aWriteKeepsModeOwnerAndXattrs(Overlay overlay) throws Exception {
    prepareEf();
    mount(overlay);
    write("e/f", "new content\n");
    assertThat(mode("e/f")).isEqualTo(0100640);
    assertThat(stat("e/f")).containsEntry("uid", 1000).containsEntry("gid", 1001);
    assertThat(xattr("e/f", "user.k1")).isEqualTo("top");
    assertThat(nanos(stat("e/f").get("lastModifiedTime"))).isNotEqualTo(1_300_000_000_000_000_009L);
  }

  /** e/f, in the top layer, with an owner, a mode and times that a careless copy would lose. */
  private void prepareEf() throws Exception {
    lowers();
    HOST.lchown(lower("l1/e/f"), 1000, 1001);
    HOST.chmod(lower("l1/e/f"), 0640);
    HOST.utimens(lower("l1/e/f"), 1_200_000_000_000_000_007L, 1_300_000_000_000_000_009L);
  }

  /** What copy-up must keep of a file: all but ctime. */
  private Map<String, Object> kept(String path) throws Exception {
    Map<String, Object> all = stat(path);
    return Map.of("mode", all.get("mode"), "uid", all.get("uid"), "gid", all.get("gid"), "size", all.get("size"),
        "ino", all.get("ino"), "mtime", nanos(all.get("lastModifiedTime")));
  }

  @OnEachOverlay
  void copyingUpAFileKeepsItsParentDirectoryAsItWas(Overlay overlay) throws Exception {
    lowers();
    HOST.lchown(lower("l1/d1"), 1000, 1000);
    HOST.chmod(lower("l1/d1"), 0750);
    HOST.utimens(lower("l1/d1"), 1_000_000_000_000_000_001L, 1_000_000_000_000_000_003L);
    mount(overlay);
    long ino = ino("d1");
    write("d1/f", "changed\n");
    assertThat(mode("d1")).isEqualTo(040750);
    assertThat(stat("d1")).containsEntry("uid", 1000).containsEntry("gid", 1000).containsEntry("ino", ino);
    assertThat(nanos(stat("d1").get("lastModifiedTime"))).isEqualTo(1_000_000_000_000_000_003L);
  }

  @OnEachOverlay
  void aWriteInTheMiddleOfALargeLowerFileKeepsTheRest(Overlay overlay) throws Exception {
    mount(overlay);
    byte[] expected = Files.readAllBytes(lower("l3/big"));
    try (Posix.Fd fd = Posix.fd(at("big"), Posix.O_WRONLY, 0)) {
      assertThat(fd.write("0123456789".getBytes(StandardCharsets.UTF_8), 150_000)).isEqualTo(Posix.OK);
    }
    System.arraycopy("0123456789".getBytes(StandardCharsets.UTF_8), 0, expected, 150_000, 10);
    assertThat(Files.readAllBytes(at("big"))).isEqualTo(expected);
  }

  @OnEachOverlay
  void chmodAndChownChangeOnlyMetadataThenAWriteStillSeesTheLowerBytes(Overlay overlay) throws Exception {
    // With metacopy=on the kernel copies up metadata alone; the data must still come from below.
    mount(overlay);
    byte[] lowerBytes = Files.readAllBytes(lower("l3/big"));
    HOST.chmod(at("big"), 0600);
    HOST.lchown(at("big"), 1000, 1000);
    assertThat(mode("big")).isEqualTo(0100600);
    assertThat(Files.readAllBytes(at("big"))).isEqualTo(lowerBytes);
    try (Posix.Fd fd = Posix.fd(at("big"), Posix.O_WRONLY, 0)) {
      assertThat(fd.write(new byte[] {1, 2, 3}, 299_990)).isEqualTo(Posix.OK);
    }
    byte[] expected = Arrays.copyOf(lowerBytes, lowerBytes.length);
    expected[299_990] = 1;
    expected[299_991] = 2;
    expected[299_992] = 3;
    assertThat(Files.readAllBytes(at("big"))).isEqualTo(expected);
    assertThat(stat("big")).containsEntry("uid", 1000).containsEntry("mode", 0100600);
    assertThat(Files.readAllBytes(lower("l3/big"))).isEqualTo(lowerBytes);
  }

  @OnEachOverlay
  void theInodeNumberOutlivesCopyUp(Overlay overlay) throws Exception {
    mount(overlay);
    long file = ino("a");
    long directory = ino("w");
    write("a", "changed\n");
    write("w/new", "new\n");
    assertThat(ino("a")).isEqualTo(file);
    assertThat(ino("w")).isEqualTo(directory);
  }
}
