package dev.strata.fuse.conformance;

import static dev.strata.fuse.conformance.Posix.OK;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;

/** rename(2) and renameat2(2) of lower files and directories, over names that are and are not there. */
class RenameTest extends MountedOverlayTest {
  @OnEachOverlay
  void aLowerFileMovesToANewName(Overlay overlay) throws Exception {
    mount(overlay);
    long ino = ino("a");
    assertThat(Posix.rename(at("a"), at("d1/a2"), 0)).isEqualTo(OK);
    assertThat(Posix.access(at("a"), Posix.F_OK)).isEqualTo("ENOENT");
    assertThat(read("d1/a2")).isEqualTo("a from l2, longer than before\n");
    assertThat(ino("d1/a2")).isEqualTo(ino);
    assertThat(list("")).doesNotContain("a");
    assertThat(list("d1")).containsExactly("a2", "e", "f", "n");
    assertThat(Files.readString(lower("l2/a"))).isEqualTo("a from l2, longer than before\n");
  }

  @OnEachOverlay
  void aLowerFileReplacesAnotherAndAWhitedOutName(Overlay overlay) throws Exception {
    mount(overlay);
    assertThat(Posix.rename(at("a"), at("c"), 0)).isEqualTo(OK);
    assertThat(read("c")).isEqualTo("a from l2, longer than before\n");
    assertThat(Posix.rename(at("c"), at("b"), 0)).as("b is whited out").isEqualTo(OK);
    assertThat(read("b")).isEqualTo("a from l2, longer than before\n");
    assertThat(list("")).contains("b").doesNotContain("a", "c");
  }

  @OnEachOverlay
  void aLowerDirectoryMovesWithAllItsMergedContent(Overlay overlay) throws Exception {
    mount(overlay);
    KnownPeerDifferences.assumeKernelAnswerFrom(overlay, KnownPeerDifferences.RENAME_LOWER_DIRECTORY);
    assertThat(Posix.rename(at("d1"), at("w/d9"), 0)).isEqualTo(OK);
    assertThat(list("w/d9")).containsExactly("e", "f", "n");
    assertThat(read("w/d9/f")).isEqualTo("d1/f from l3\n");
    assertThat(Posix.access(at("d1"), Posix.F_OK)).isEqualTo("ENOENT");
    assertThat(Posix.access(at("w/d9/d2"), Posix.F_OK)).as("still whited out").isEqualTo("ENOENT");
    assertThat(Posix.mkdir(at("d1"), 0755)).isEqualTo(OK);
    assertThat(list("d1")).as("a new d1 holds nothing of the old").isEmpty();
    write("w/d9/f", "changed\n");
    assertThat(read("w/d9/f")).isEqualTo("changed\n");
  }

  @OnEachOverlay
  void noReplaceRefusesAnExistingNameAndNotAWhitedOutOne(Overlay overlay) throws Exception {
    mount(overlay);
    assertThat(Posix.rename(at("a"), at("c"), Posix.RENAME_NOREPLACE)).isEqualTo("EEXIST");
    assertThat(Posix.rename(at("a"), at("b"), Posix.RENAME_NOREPLACE)).isEqualTo(OK);
    assertThat(read("c")).isEqualTo("c from l3\n");
    assertThat(read("b")).isEqualTo("a from l2, longer than before\n");
  }

  @OnEachOverlay
  void exchangeSwapsTwoLowerFiles(Overlay overlay) throws Exception {
    mount(overlay);
    assertThat(Posix.rename(at("a"), at("c"), Posix.RENAME_EXCHANGE)).isEqualTo(OK);
    assertThat(read("a")).isEqualTo("c from l3\n");
    assertThat(read("c")).isEqualTo("a from l2, longer than before\n");
  }

  @OnEachOverlay
  void aDirectoryReplacesOnlyAnEmptyDirectory(Overlay overlay) throws Exception {
    mount(overlay);
    assertThat(Posix.mkdir(at("n1"), 0755)).isEqualTo(OK);
    write("n1/inside", "inside\n");
    assertThat(Posix.rename(at("n1"), at("w"), 0)).as("w holds a lower file").isEqualTo("ENOTEMPTY");
    Files.delete(at("w/f"));
    assertThat(Posix.rename(at("n1"), at("w"), 0)).as("w is empty now").isEqualTo(OK);
    assertThat(list("w")).containsExactly("inside");
    assertThat(list("")).doesNotContain("n1");
  }

  @OnEachOverlay
  void aFileAndADirectoryDoNotReplaceEachOther(Overlay overlay) throws Exception {
    mount(overlay);
    assertThat(Posix.rename(at("a"), at("d1"), 0)).isEqualTo("EISDIR");
    assertThat(Posix.rename(at("e"), at("a"), 0)).isEqualTo("ENOTDIR");
    assertThat(Posix.rename(at("e"), at("e/inside"), 0)).isEqualTo("EINVAL");
  }

  @OnEachOverlay
  void renamingOneNameOfAFileOntoAnotherDoesNothing(Overlay overlay) throws Exception {
    mount(overlay);
    assertThat(Posix.rename(at("f"), at("d1/n"), 0)).isEqualTo(OK);
    assertThat(read("f")).isEqualTo("f has three names\n");
    assertThat(read("d1/n")).isEqualTo("f has three names\n");
  }
}
