package dev.strata.fuse.conformance;

import static dev.strata.fuse.conformance.Posix.OK;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;

/** Names of one inode: one inode number, one link count, one content, before and after copy-up. */
class HardLinkTest extends MountedOverlayTest {
  @OnEachOverlay
  void twoLowerNamesAreOneInode(Overlay overlay) throws Exception {
    mount(overlay);
    assertThat(ino("hd/h2")).isEqualTo(ino("h1"));
    assertThat(nlink("h1")).isEqualTo(2);
    assertThat(nlink("hd/h2")).isEqualTo(2);
  }

  @OnEachOverlay
  void aWriteThroughOneNameIsSeenThroughTheOther(Overlay overlay) throws Exception {
    mount(overlay);
    long ino = ino("h1");
    write("h1", "written through h1\n");
    assertThat(read("hd/h2")).isEqualTo("written through h1\n");
    assertThat(ino("h1")).isEqualTo(ino);
    assertThat(ino("hd/h2")).isEqualTo(ino);
    assertThat(nlink("h1")).isEqualTo(2);
    assertThat(nlink("hd/h2")).isEqualTo(2);
    write("hd/h2", "and back through h2\n");
    assertThat(read("h1")).isEqualTo("and back through h2\n");
    assertThat(Files.readString(lower("l3/h1"))).isEqualTo(ConformanceLowers.H1);
  }

  @OnEachOverlay
  void aNewLinkToALowerFileIsOneMoreNameOfIt(Overlay overlay) throws Exception {
    mount(overlay);
    KnownPeerDifferences.assumeKernelAnswerFrom(overlay, KnownPeerDifferences.LINK_COUNT_AFTER_LINK);
    long ino = ino("h1");
    assertThat(Posix.link(at("h1"), at("d1/h3"))).isEqualTo(OK);
    assertThat(ino("d1/h3")).isEqualTo(ino);
    assertThat(nlink("h1")).isEqualTo(3);
    assertThat(nlink("hd/h2")).isEqualTo(3);
    assertThat(nlink("d1/h3")).isEqualTo(3);
    write("d1/h3", "through the new name\n");
    assertThat(read("h1")).isEqualTo("through the new name\n");
    assertThat(read("hd/h2")).isEqualTo("through the new name\n");
  }

  @OnEachOverlay
  void unlinkingOneNameLeavesTheOther(Overlay overlay) throws Exception {
    mount(overlay);
    long ino = ino("hd/h2");
    assertThat(Posix.unlink(at("h1"))).isEqualTo(OK);
    assertThat(nlink("hd/h2")).isEqualTo(1);
    assertThat(ino("hd/h2")).isEqualTo(ino);
    assertThat(read("hd/h2")).isEqualTo(ConformanceLowers.H1);
  }

  @OnEachOverlay
  void linksOfADirectoryAndAcrossMissingNamesFail(Overlay overlay) throws Exception {
    mount(overlay);
    assertThat(Posix.link(at("d1"), at("d1-link"))).isEqualTo("EPERM");
    assertThat(Posix.link(at("b"), at("b-link"))).as("b is whited out").isEqualTo("ENOENT");
    assertThat(Posix.link(at("a"), at("c"))).isEqualTo("EEXIST");
  }
}
