package dev.strata.union;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.Privileges;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A union whose callers live in a user namespace mapped to 100000: the owners it shows are
 * shifted, what callers make or chown is stored unshifted in the upper, and ids outside the map
 * show as the overflow id or are refused. Needs root (the lower's owners are set with chown).
 */
class IdMappedUnionTest {
  private static final long BASE = 100_000;
  private static final IdMap MAP = IdMap.of(0, BASE, 65536);

  @TempDir Path dir;
  private Path upper;
  private UnionFs fs;

  @BeforeEach
  void open() throws Exception {
    Path lower = Files.createDirectories(dir.resolve("lower"));
    Files.writeString(lower.resolve("root-file"), "r\n");
    Files.writeString(lower.resolve("user-file"), "u\n");
    Files.writeString(lower.resolve("far-file"), "f\n");
    Path setgid = Files.createDirectories(lower.resolve("shared"));
    chown(lower.resolve("user-file"), 1000, 1000);
    chown(lower.resolve("far-file"), 70_000, 70_000); // past the map's 65536 ids
    chown(setgid, 0, 50);
    Files.setAttribute(setgid, "unix:mode", 02775);
    upper = Files.createDirectories(dir.resolve("upper"));
    fs = UnionFs.open(List.of(HostDirLayer.open(lower)), upper, dir.resolve("work"),
        UnionOptions.defaults(Privileges.ofProcess()).withIds(MAP, MAP));
  }

  @Test
  void storedOwnersShowShiftedAndUnmappedOnesAsTheOverflowId() throws Exception {
    assertThat(owner(fs.getattr(UnionFs.ROOT))).containsExactly(BASE, BASE);
    assertThat(owner(attr("root-file"))).containsExactly(BASE, BASE);
    assertThat(owner(attr("user-file"))).containsExactly(BASE + 1000, BASE + 1000);
    assertThat(owner(attr("far-file"))).containsExactly(IdMap.OVERFLOW_ID, IdMap.OVERFLOW_ID);
  }

  @Test
  void whatACallerMakesIsStoredAsTheContainerSeesIt() throws Exception {
    Ctx containerUser = new Ctx(BASE + 1000, BASE + 100);
    long file = fs.create(UnionFs.ROOT, "made", 0644, 0, containerUser)[0];
    fs.mkdir(UnionFs.ROOT, "dir", 0755, containerUser);
    fs.symlink(UnionFs.ROOT, "link", "made", containerUser);
    assertThat(owner(fs.getattr(file))).containsExactly(BASE + 1000, BASE + 100);
    assertThat(hostOwner(upper.resolve("made"))).containsExactly(1000L, 100L);
    assertThat(hostOwner(upper.resolve("dir"))).containsExactly(1000L, 100L);
    assertThat(hostOwner(upper.resolve("link"))).containsExactly(1000L, 100L);

    // A setgid directory hands on its stored group.
    long inShared = fs.create(fs.lookup(UnionFs.ROOT, "shared"), "x", 0644, 0, containerUser)[0];
    assertThat(owner(fs.getattr(inShared))).containsExactly(BASE + 1000, BASE + 50);
    assertThat(hostOwner(upper.resolve("shared/x"))).containsExactly(1000L, 50L);
  }

  @Test
  void aChownStoresTheUnshiftedOwnerAndAnswersTheShiftedOne() throws Exception {
    long node = fs.lookup(UnionFs.ROOT, "root-file");
    Attr a = fs.setattr(node, SetAttr.owner(BASE + 33, BASE + 44));
    assertThat(owner(a)).containsExactly(BASE + 33, BASE + 44);
    assertThat(hostOwner(upper.resolve("root-file"))).containsExactly(33L, 44L);
    a = fs.setattr(node, new SetAttr(null, null, BASE + 7, null, null, null));
    assertThat(owner(a)).containsExactly(BASE + 33, BASE + 7);
    assertThat(hostOwner(upper.resolve("root-file"))).containsExactly(33L, 7L);
  }

  @Test
  void idsOutsideTheMapCannotMakeOrOwnFiles() throws Exception {
    assertThatThrownBy(() -> fs.create(UnionFs.ROOT, "by-host-root", 0644, 0, Ctx.ROOT))
        .isInstanceOf(ErrnoException.class).hasMessageContaining("user id 0 is outside the mount's id map 0:100000:65536")
        .extracting(e -> ((ErrnoException) e).errno()).isEqualTo(Errno.EOVERFLOW);
    assertThatThrownBy(() -> fs.mkdir(UnionFs.ROOT, "d", 0755, new Ctx(BASE, 5)))
        .extracting(e -> ((ErrnoException) e).errno()).isEqualTo(Errno.EOVERFLOW);
    long node = fs.lookup(UnionFs.ROOT, "user-file");
    assertThatThrownBy(() -> fs.setattr(node, SetAttr.owner(BASE + 65536, BASE)))
        .extracting(e -> ((ErrnoException) e).errno()).isEqualTo(Errno.EOVERFLOW);
    assertThat(upper.resolve("by-host-root")).doesNotExist();
    assertThat(upper.resolve("d")).doesNotExist();
    assertThat(upper.resolve("user-file")).doesNotExist(); // refused before any copy-up
  }

  @Test
  void aSquashedOwnerIsWhatEveryFileShowsWhileGivenOwnersAreStoredMapped() throws Exception {
    // fuse-overlayfs's squash_to_uid=7 beside uidmapping=: the squash wins in what is shown,
    // the map still decides what a caller's ids are stored as.
    Path squashedUpper = Files.createDirectories(dir.resolve("squashed-upper"));
    try (UnionFs squashed = UnionFs.open(List.of(HostDirLayer.open(dir.resolve("lower"))), squashedUpper,
        dir.resolve("squashed-work"), UnionOptions.defaults(Privileges.ofProcess()).withIds(MAP, MAP)
            .withSquash(OptionalLong.of(7), OptionalLong.empty()))) {
      assertThat(owner(squashed.getattr(squashed.lookup(UnionFs.ROOT, "user-file")))).containsExactly(7L, BASE + 1000);
      assertThat(owner(squashed.getattr(squashed.lookup(UnionFs.ROOT, "far-file"))))
          .containsExactly(7L, IdMap.OVERFLOW_ID);
      long node = squashed.lookup(UnionFs.ROOT, "root-file");
      assertThat(owner(squashed.setattr(node, SetAttr.owner(BASE + 33, BASE + 44)))).containsExactly(7L, BASE + 44);
      assertThat(hostOwner(squashedUpper.resolve("root-file"))).containsExactly(33L, 44L);
      long made = squashed.create(UnionFs.ROOT, "made", 0644, 0, new Ctx(BASE + 5, BASE + 6))[0];
      assertThat(owner(squashed.getattr(made))).containsExactly(7L, BASE + 6);
      assertThat(hostOwner(squashedUpper.resolve("made"))).containsExactly(5L, 6L);
    }
  }

  private Attr attr(String name) throws Exception {
    return fs.getattr(fs.lookup(UnionFs.ROOT, name));
  }

  private static List<Long> owner(Attr a) {
    return List.of(a.uid(), a.gid());
  }

  private static List<Long> hostOwner(Path p) throws Exception {
    return List.of(((Number) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue(),
        ((Number) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS)).longValue());
  }

  private static void chown(Path p, int uid, int gid) throws Exception {
    Files.setAttribute(p, "unix:uid", uid);
    Files.setAttribute(p, "unix:gid", gid);
  }
}
