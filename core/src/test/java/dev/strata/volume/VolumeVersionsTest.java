package dev.strata.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.host.HostDir;
import dev.strata.host.HostFile;
import dev.strata.host.HostPaths;
import dev.strata.host.Stat;
import dev.strata.layer.EntryKind;
import dev.strata.layer.LayerEntry;
import dev.strata.layout.GarbageCollector;
import dev.strata.layout.VolumeSnapshots.Snapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Versions of a volume: a commit's layer holds what changed and no more, reset and checkout
 * give back a snapshot's tree file by file (its export, which carries every owner, mode,
 * nanosecond time, xattr and link, the same bytes), branches share their data, and gc keeps
 * what the branches reach.
 */
class VolumeVersionsTest extends VolumeStoreTest {

  @Test
  void aCommitHoldsOnlyWhatChangedAndADeletionIsAWhiteout() throws Exception {
    Volume v = filled();
    Snapshot first = volumes.commit("db", "first");
    assertThat(first.parent()).isNull();
    assertThat(entries(first)).as("the first snapshot has everything").contains("- a/changed.txt", "h a/link",
        "l a/sym", "p fifo", "d olddir", "- olddir/inside", "- gone.txt", "d ");

    write(v.data().resolve("a/changed.txt"), "new content");
    Files.delete(v.data().resolve("gone.txt"));
    Files.delete(v.data().resolve("olddir/inside"));
    Files.delete(v.data().resolve("olddir"));
    write(v.data().resolve("a/new.txt"), "added");
    assertThat(volumes.changed("db")).isTrue();
    Snapshot second = volumes.commit("db", "second");

    assertThat(second.parent()).isEqualTo(first.id());
    // a/link is the changed file's other name: one inode, whose ctime moved with the write.
    assertThat(entries(second)).containsExactlyInAnyOrder("d ", "d a", "- a/changed.txt", "h a/link",
        "- a/new.txt", "w .wh.gone.txt", "w .wh.olddir");

    assertThat(volumes.changed("db")).isFalse();
    assertThatThrownBy(() -> volumes.commit("db", "nothing")).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("nothing to commit");
    assertThat(volumes.log("db")).extracting(Snapshot::message).containsExactly("second", "first");
  }

  @Test
  void aFileChangedJustBeforeACommitIsComparedByItsBytesAfterIt() throws Exception {
    Volume v = filled();
    Path racy = v.data().resolve("a/changed.txt");
    volumes.commit("db", "first");
    // Within a second of the walk a stat proves nothing (the same tick may hold a later write):
    // the same size and mtime, other bytes, are seen by their digest; the same bytes are no change.
    try (HostDir d = HostDir.open(v.data())) {
      try (HostFile f = d.open("a/changed.txt", HostFile.O_WRONLY, 0)) {
        f.write(0, ByteBuffer.wrap("OLD CONTENT".getBytes(StandardCharsets.UTF_8)));
      }
      d.utimens("a/changed.txt", NANOS, NANOS);
    }
    assertThat(Files.size(racy)).isEqualTo("old content".length());
    assertThat(volumes.changed("db")).isTrue();
    Snapshot second = volumes.commit("db", "second");
    assertThat(entries(second)).containsExactlyInAnyOrder("- a/changed.txt", "h a/link");
    assertThat(volumes.changed("db")).as("every other file, written as recently, compared equal").isFalse();
  }

  @Test
  void resetGivesBackEachSnapshotsTreeFileByFile() throws Exception {
    Volume v = filled();
    Snapshot first = volumes.commit("db", "first");
    byte[] firstTree = exported("db");

    // A file becomes a directory, a directory a file, a hard link loses a name, owners and xattrs move.
    Files.delete(v.data().resolve("gone.txt"));
    Files.createDirectories(v.data().resolve("gone.txt/now-a-dir"));
    Files.delete(v.data().resolve("olddir/inside"));
    Files.delete(v.data().resolve("olddir"));
    write(v.data().resolve("olddir"), "a file now");
    Files.delete(v.data().resolve("a/link"));
    try (HostDir d = HostDir.open(v.data())) {
      d.chown("a/changed.txt", 2001, 2002);
      d.setxattr("a/changed.txt", "user.other", new byte[] {1, 2}, 0);
      d.utimens("a", NANOS + 100, NANOS + 100);
    }
    Snapshot second = volumes.commit("db", "second");
    byte[] secondTree = exported("db");
    assertThat(secondTree).isNotEqualTo(firstTree);

    write(v.data().resolve("uncommitted"), "dropped by the reset");
    volumes.reset("db", first.shortId(), false);
    assertThat(exported("db")).as("the first snapshot's tree").isEqualTo(firstTree);
    assertThat(volumes.log("db")).extracting(Snapshot::id).containsExactly(first.id());
    assertThat(volumes.changed("db")).as("the stat memory of the restored tree").isFalse();
    try (HostDir d = HostDir.open(v.data())) {
      Stat file = d.stat("a/changed.txt");
      assertThat(d.stat("a/link").ino()).as("a hard link is one file again").isEqualTo(file.ino());
      assertThat(d.getxattr("a/changed.txt", "user.binary")).isEqualTo(XATTR);
      assertThat(file.mtimeNanos()).isEqualTo(NANOS);
    }

    volumes.reset("db", second.id(), false);
    assertThat(exported("db")).as("the second snapshot's tree").isEqualTo(secondTree);
    assertThat(volumes.log("db")).extracting(Snapshot::id).containsExactly(second.id(), first.id());
    assertThat(staged()).as("the old trees are removed").isEmpty();

    assertThatThrownBy(() -> volumes.reset("db", "0000", false)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no snapshot '0000'");
  }

  @Test
  void branchesSwitchBetweenTwoLinesOfHistoryAndShareTheirData() throws Exception {
    Volume v = filled();
    write(v.data().resolve("shared.bin"), "x".repeat(200_000));
    Snapshot base = volumes.commit("db", "base");
    assertThat(volumes.branch("db", "other", null)).isEqualTo(base);

    write(v.data().resolve("main-only"), "on main");
    volumes.commit("db", "main work");
    byte[] mainTree = exported("db");

    write(v.data().resolve("main-only"), "changed, not committed");
    assertThatThrownBy(() -> volumes.checkout("db", "other", false)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("has changes since snapshot");
    write(v.data().resolve("main-only"), "on main");
    volumes.checkout("db", "other", true);
    assertThat(volumes.currentBranch("db")).isEqualTo("other");
    assertThat(v.data().resolve("main-only")).doesNotExist();
    assertThat(Files.readString(v.data().resolve("shared.bin"))).hasSize(200_000);

    int objects = store.objects().list(stray -> { }).size();
    write(v.data().resolve("other-only"), "on the other branch");
    volumes.commit("db", "other work");
    assertThat(store.objects().list(stray -> { }).size()).as("only the new file's object").isEqualTo(objects + 1);
    byte[] otherTree = exported("db");
    assertThat(volumes.log("db")).extracting(Snapshot::message).containsExactly("other work", "base");

    volumes.checkout("db", "main", false);
    assertThat(exported("db")).isEqualTo(mainTree);
    assertThat(v.data().resolve("other-only")).doesNotExist();
    volumes.checkout("db", "other", false);
    assertThat(exported("db")).isEqualTo(otherTree);
    assertThat(volumes.branches("db")).containsOnlyKeys("main", "other");

    assertThatThrownBy(() -> volumes.branch("db", "other", base.id())).hasMessageContaining("already");
    assertThatThrownBy(() -> volumes.checkout("db", "nope", false)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> volumes.branch("db", "-bad", null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void gcKeepsWhatTheBranchesReachAndASnapshotStillRestoresAfterIt() throws Exception {
    History h = history();
    Snapshot first = h.first();
    byte[] firstTree = h.firstTree();
    Snapshot second = h.second();

    GarbageCollector.Report kept = GarbageCollector.run(store, false);
    assertThat(kept.removed()).noneMatch(r -> r.startsWith("blob") || r.startsWith("layer index")
        || r.startsWith("object"));
    volumes.reset("db", first.id(), false);
    assertThat(exported("db")).isEqualTo(firstTree);

    // Reset took the branch back: the second snapshot is reached by no branch, and goes.
    GarbageCollector.Report report = GarbageCollector.run(store, false);
    assertThat(report.removed()).contains("blob " + second.blob(), "layer index " + second.diffId())
        .doesNotContain("blob " + first.blob(), "layer index " + first.diffId());
    assertThatThrownBy(() -> volumes.reset("db", second.id(), false)).hasMessageContaining("missing from the store");
    volumes.reset("db", first.id(), false);
    assertThat(exported("db")).isEqualTo(firstTree);
  }

  @Test
  void aResetKilledAfterItsExchangeIsFinishedAndOneKilledBeforeItIsForgotten() throws Exception {
    History h = history();
    Volume v = h.volume();
    Snapshot first = h.first();
    byte[] firstTree = h.firstTree();
    Snapshot second = h.second();
    byte[] secondTree = exported("db");

    // What a kill before the exchange leaves: the record of a staged tree that is not the data.
    Files.writeString(v.dir().resolve("restoring.json"), "{\"snapshot\":\"" + first.id()
        + "\",\"branch\":\"main\",\"current\":false,\"inode\":1}");
    assertThat(volumes.log("db")).extracting(Snapshot::id).containsExactly(second.id(), first.id());
    assertThat(v.dir().resolve("restoring.json")).doesNotExist();
    assertThat(exported("db")).isEqualTo(secondTree);

    // What a kill right after the exchange leaves: the first tree in place, the branch not yet moved.
    Volume copy = volumes.importFrom(new java.io.ByteArrayInputStream(firstTree), "copy", Map.of());
    HostPaths.rename(copy.data(), v.data(), HostDir.RENAME_EXCHANGE);
    Files.writeString(v.dir().resolve("restoring.json"), "{\"snapshot\":\"" + first.id()
        + "\",\"branch\":\"other\",\"current\":true,\"inode\":" + HostPaths.stat(v.data()).ino() + "}");
    assertThat(volumes.currentBranch("db")).isEqualTo("other");
    assertThat(volumes.branches("db")).containsEntry("other", first.id()).containsEntry("main", second.id());
    assertThat(volumes.changed("db")).isFalse();
    assertThat(exported("db")).isEqualTo(firstTree);
  }

  @Test
  void aVolumeInUseIsNotResetWithoutForce() throws Exception {
    Volume v = filled();
    Snapshot first = volumes.commit("db", "first");
    Users.add(v.dir(), "c1");
    Files.createDirectories(store.root().resolve("containers/c1"));
    // A user counts only while its container exists: one whose record cannot be read does.
    Files.writeString(store.root().resolve("containers/c1/container.json"), "{");
    assertThatThrownBy(() -> volumes.reset("db", first.id(), false)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("in use by container c1");
    volumes.reset("db", first.id(), true);
  }

  /** The entries of {@code s}'s own layer as "TYPE PATH", TYPE w for a whiteout. */
  private List<String> entries(Snapshot s) throws IOException {
    TreeSet<String> out = new TreeSet<>();
    for (LayerEntry e : store.layers().read(s.diffId()).entries()) {
      out.add((e.kind() == EntryKind.WHITEOUT ? 'w' : e.kind().lsType()) + " " + e.path());
    }
    return List.copyOf(out);
  }

  private static void write(Path file, String text) throws IOException {
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }

  /** Volume db's two snapshots, the second adding a file, and the first one's tree. */
  private record History(Volume volume, Snapshot first, byte[] firstTree, Snapshot second) {}

  private History history() throws IOException {
    Volume v = filled();
    Snapshot first = volumes.commit("db", "first");
    byte[] firstTree = exported("db");
    write(v.data().resolve("later"), "the second snapshot's own file");
    return new History(v, first, firstTree, volumes.commit("db", "second"));
  }

  /** The volume "db", filled. */
  private Volume filled() throws IOException {
    Volume v = volumes.create("db", Map.of());
    fillAllKinds(v.data());
    return v;
  }
}
