package dev.strata.inspect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.digest.Digest;
import dev.strata.layer.IngestLimits;
import dev.strata.layer.LayerIndex;
import dev.strata.layer.LayerIngest;
import dev.strata.layer.TarBuilder;
import dev.strata.transfer.MergedLowerFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The overlay rules of {@link MergedTree}, the waste of {@link ImageReport}'s kind, and {@link TreeDiff}. */
class MergedTreeTest {
  private final List<LayerIndex> layers = new ArrayList<>();

  /** Indexes {@code tar} over the layers so far, hashing contents instead of storing them. */
  private LayerIndex layer(TarBuilder tar) throws IOException {
    byte[] bytes = tar.toBytes();
    LayerIngest.Result r = LayerIngest.ingest(new ByteArrayInputStream(bytes),
        (in, size) -> Digest.sha256(in.readNBytes((int) size)), new MergedLowerFiles(List.copyOf(layers)),
        IngestLimits.DEFAULT);
    LayerIndex index = r.index();
    layers.add(index);
    return index;
  }

  private static List<String> paths(List<TreeNode> nodes) {
    return nodes.stream().map(TreeNode::path).toList();
  }

  @Test
  void anOpaqueMarkerHidesTheLayersBelowButNotItsOwnLayerWhereverItStands() throws IOException {
    layer(new TarBuilder().dir("a").file("a/old", "1").file("a/kept", "2").dir("a/sub").file("a/sub/deep", "3"));
    // The marker comes after the layer's own entries in a/.
    layer(new TarBuilder().dir("a").file("a/kept", "22").file("a/new", "4").opaque("a"));
    List<LayerChanges> changes = new ArrayList<>();
    MergedTree tree = MergedTree.of(layers, changes);
    assertThat(tree.nodes().keySet()).containsExactly("", "a", "a/kept", "a/new");
    LayerChanges c = changes.get(1);
    assertThat(paths(c.added())).containsExactly("a/new");
    assertThat(paths(c.modified())).containsExactly("a/kept");
    assertThat(paths(c.deleted())).containsExactlyInAnyOrder("a/old", "a/sub/deep");
    assertThat(paths(c.dirsDeleted())).containsExactly("a/sub");
  }

  @Test
  void aFileOverADirectoryDeletesItsContentAndADirectoryOverAFileDeletesTheFile() throws IOException {
    layer(new TarBuilder().dir("d").file("d/x", "1").file("f", "2"));
    layer(new TarBuilder().file("d", "now a file").dir("f").file("f/y", "3"));
    List<LayerChanges> changes = new ArrayList<>();
    MergedTree tree = MergedTree.of(layers, changes);
    assertThat(tree.nodes().keySet()).containsExactly("", "d", "f", "f/y");
    LayerChanges c = changes.get(1);
    assertThat(paths(c.modified())).containsExactly("d");
    assertThat(paths(c.added())).containsExactly("f/y");
    assertThat(paths(c.deleted())).containsExactlyInAnyOrder("d/x", "f");
    assertThat(c.dirsAdded()).isEmpty(); // f was there, as a file
    assertThat(paths(c.dirsDeleted())).containsExactly("d");
  }

  @Test
  void implicitParentsAreDirectoriesAndWhiteoutsOfNothingDeleteNothing() throws IOException {
    layer(new TarBuilder().file("x/y/z", "1"));
    layer(new TarBuilder().whiteout("nothing").whiteout("x/y/none"));
    List<LayerChanges> changes = new ArrayList<>();
    MergedTree tree = MergedTree.of(layers, changes);
    assertThat(tree.get("x/y").isDirectory()).isTrue();
    assertThat(tree.get("x/y").entry()).isNull();
    assertThat(changes.get(1).deleted()).isEmpty();
    assertThat(changes.get(1).dirsDeleted()).isEmpty();
  }

  @Test
  void hardLinkedNamesShareOneInodeAcrossLayers() throws IOException {
    layer(new TarBuilder().file("a", "bytes").hardlink("b", "a"));
    layer(new TarBuilder().hardlink("c", "b").whiteout("a"));
    layer(new TarBuilder().whiteout("b"));
    MergedTree tree = MergedTree.of(layers, null);
    assertThat(tree.nodes().keySet()).containsExactly("", "c");
    MergedTree first = MergedTree.of(layers.subList(0, 1), null);
    assertThat(tree.get("c").inode()).isEqualTo(first.get("a").inode()).isEqualTo(first.get("b").inode());
  }

  @Test
  void diffsIgnoreTimesAndNameWhatChanged() throws IOException {
    layer(new TarBuilder().file("same", "1").file("content", "a").mode(0600).file("mode", "m").symlink("l", "t1"));
    MergedTree before = MergedTree.of(layers, null);
    layers.clear();
    layer(new TarBuilder().mtime(Instant.ofEpochSecond(5)).file("same", "1").file("content", "b").file("mode", "m")
        .symlink("l", "t2").file("new", "n"));
    MergedTree after = MergedTree.of(layers, null);
    TreeDiff d = TreeDiff.of(before.nodes(), after.nodes());
    assertThat(paths(d.added())).containsExactly("new");
    assertThat(d.deleted()).isEmpty();
    assertThat(d.changed()).extracting(c -> c.to().path() + " " + c.what())
        .containsExactlyInAnyOrder("content [content]", "mode [mode]", "l [target]");
  }
}
