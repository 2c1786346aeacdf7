package dev.strata.fuse.conformance;

import static dev.strata.fuse.conformance.Posix.OK;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.List;

/** Names the lowers delete (whiteouts), directories they replace (opaque), and deletes made in the mount. */
class WhiteoutTest extends MountedOverlayTest {
  static final List<String> ROOT =
      List.of("a", "big", "c", "d1", "e", "f", "fifo", "h1", "hd", "s", "suid", "w", "x", "y");

  @OnEachOverlay
  void whiteoutsHideLowerFilesAndDirectories(Overlay overlay) throws Exception {
    mount(overlay);
    assertThat(list("")).isEqualTo(ROOT);
    assertThat(list("d1")).containsExactly("e", "f", "n");
    assertThat(Posix.access(at("b"), Posix.F_OK)).isEqualTo("ENOENT");
    assertThat(Posix.access(at("d1/d2"), Posix.F_OK)).isEqualTo("ENOENT");
    assertThat(Posix.access(at("d1/d2/f"), Posix.F_OK)).isEqualTo("ENOENT");
  }

  @OnEachOverlay
  void anOpaqueDirectoryShowsOnlyItsOwnLayer(Overlay overlay) throws Exception {
    mount(overlay);
    assertThat(list("x")).containsExactly("n");
    assertThat(Posix.access(at("x/a"), Posix.F_OK)).isEqualTo("ENOENT");
  }

  @OnEachOverlay
  void anUnlinkedLowerFileIsGoneAndItsNameIsFreshWhenMadeAgain(Overlay overlay) throws Exception {
    mount(overlay);
    assertThat(Posix.unlink(at("e/f"))).isEqualTo(OK);
    assertThat(Posix.access(at("e/f"), Posix.F_OK)).isEqualTo("ENOENT");
    assertThat(list("e")).isEmpty();
    write("e/f", "again\n");
    assertThat(read("e/f")).isEqualTo("again\n");
    assertThat(HOST.listxattr(at("e/f"))).as("nothing of the lower file").isEmpty();
    assertThat(Files.readString(lower("l1/e/f"))).isEqualTo("e/f from l1\n");
  }

  @OnEachOverlay
  void rmdirOfADirectoryWithLowerContentIsENOTEMPTY(Overlay overlay) throws Exception {
    mount(overlay);
    assertThat(Posix.rmdir(at("d1"))).isEqualTo("ENOTEMPTY");
    assertThat(Posix.rmdir(at("w"))).isEqualTo("ENOTEMPTY");
    assertThat(Posix.rmdir(at("x"))).isEqualTo("ENOTEMPTY");
    assertThat(list("d1")).containsExactly("e", "f", "n");
  }

  @OnEachOverlay
  void aDirectoryMadeOverADeletedLowerDirectoryIsEmpty(Overlay overlay) throws Exception {
    mount(overlay);
    for (String name : List.of("e", "f", "n")) {
      assertThat(Posix.unlink(at("d1/" + name))).isEqualTo(OK);
    }
    assertThat(Posix.rmdir(at("d1"))).isEqualTo(OK);
    assertThat(Posix.mkdir(at("d1"), 0700)).isEqualTo(OK);
    assertThat(list("d1")).isEmpty();
    assertThat(mode("d1")).isEqualTo(040700);
  }

  @OnEachOverlay
  void noLowerNameIsFoundUnderADirectoryMadeOverADeletedOne(Overlay overlay) throws Exception {
    mount(overlay);
    KnownPeerDifferences.assumeKernelAnswerFrom(overlay, KnownPeerDifferences.LOOKUP_UNDER_NEW_DIRECTORY);
    for (String name : List.of("e", "f", "n")) {
      assertThat(Posix.unlink(at("d1/" + name))).isEqualTo(OK);
    }
    assertThat(Posix.rmdir(at("d1"))).isEqualTo(OK);
    assertThat(Posix.mkdir(at("d1"), 0755)).isEqualTo(OK);
    for (String name : List.of("e", "f", "n", "d2")) {
      assertThat(Posix.access(at("d1/" + name), Posix.F_OK)).as(name).isEqualTo("ENOENT");
    }
    write("d1/f", "new\n");
    assertThat(list("d1")).containsExactly("f");
    assertThat(read("d1/f")).isEqualTo("new\n");
  }

  @OnEachOverlay
  void readdirAfterDeletesListsExactlyWhatIsLeft(Overlay overlay) throws Exception {
    mount(overlay);
    Files.delete(at("a"));
    Files.delete(at("c"));
    Files.delete(at("fifo"));
    Files.delete(at("s"));
    Files.delete(at("w/f"));
    Files.delete(at("w"));
    Files.delete(at("x/n"));
    write("z", "z\n");
    write("b", "b again\n");
    List<String> expected = List.of("b", "big", "d1", "e", "f", "h1", "hd", "suid", "x", "y", "z");
    assertThat(list("")).isEqualTo(expected);
    assertThat(list("")).as("listed again").isEqualTo(expected);
    assertThat(list("x")).isEmpty();
  }

  @OnEachOverlay
  void readdirListsDotAndDotDotInEveryDirectory(Overlay overlay) throws Exception {
    mount(overlay);
    KnownPeerDifferences.assumeKernelAnswerFrom(overlay, KnownPeerDifferences.ROOT_DOTDOT);
    Files.delete(at("a"));
    assertThat(DirEntries.inodes(at("")).keySet()).containsExactlyInAnyOrder(".", "..", "big", "c", "d1", "e",
        "f", "fifo", "h1", "hd", "s", "suid", "w", "x", "y");
    assertThat(DirEntries.inodes(at("x")).keySet()).containsExactlyInAnyOrder(".", "..", "n");
  }
}
