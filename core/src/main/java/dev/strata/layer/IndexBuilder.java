package dev.strata.layer;

import dev.strata.digest.Digest;
import dev.strata.host.Names;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Builds a layer's index from its entries in tar order, in memory bounded whatever the layer's
 * entry count: each entry goes to a spill file and its paths to an external sort as it is
 * read; once all are read, one walk in path order checks what needs the other entries (see
 * {@link TreeWalk}) and lays out the tree, hard links are resolved in tar order, and the index
 * file is written from the spill. A layer of a few thousand entries does all of it in memory.
 */
final class IndexBuilder implements Closeable {
  /** Heap for each sort's batch; past it a batch goes to a run file. */
  static final long SORT_MEMORY = 8L << 20;
  private static final Comparator<byte[]> NODE_ORDER = (a, b) -> java.util.Arrays.compareUnsigned(a, 0, 10, b, 0, 10);

  private final Path dir;
  private final Spill spill;
  private final ExternalSort keys;
  private long count;
  private long links;

  /** Starts a build whose scratch files go to a directory of its own in {@code scratch}. */
  IndexBuilder(Path scratch) throws IOException {
    Files.createDirectories(scratch);
    dir = Files.createTempDirectory(scratch, "index-build-");
    spill = new Spill(dir);
    keys = new ExternalSort(TreeKeys.ORDER, dir, SORT_MEMORY);
  }

  /**
   * Adds the next entry. {@code raw} is its name as the tar spells it; {@code below}, for a hard
   * link, is the file the layers below hold at its target (or null): what it links to if no
   * earlier entry of the layer holds that path.
   */
  void add(String raw, LayerEntry e, LayerEntry below) throws IOException {
    if (count >= 0xffff_fffeL) {
      throw new UnsafeLayerException("layer has more entries than an index can number");
    }
    int position = (int) count++;
    spill.add(raw, e, below);
    byte[] path = Names.encode(e.path());
    keys.add(TreeKeys.key(path, TreeKeys.ENTRY, position, e.kind(), false));
    switch (e.kind()) {
      case WHITEOUT -> keys.add(TreeKeys.key(Names.encode(e.target()), TreeKeys.WHITEOUT, position, e.kind(), false));
      case OPAQUE -> keys.add(TreeKeys.key(Names.encode(e.target()), TreeKeys.OPAQUE, position, e.kind(), false));
      case HARDLINK -> {
        links++;
        keys.add(TreeKeys.key(Names.encode(e.linkTarget()), TreeKeys.LINK, position, e.kind(), below != null));
      }
      default -> { }
    }
  }

  /** Returns how many entries were added. */
  long count() {
    return count;
  }

  /**
   * Checks the layer and writes its index to a new file in {@code into}; returns it.
   *
   * @throws UnsafeLayerException naming the first entry in tar order that the layer may not hold
   */
  Path finish(Digest diffId, long tarSize, Path into) throws IOException {
    Path byPath = Files.createTempFile(dir, "by-path-", ".bin");
    try (ExternalSort nodes = new ExternalSort(NODE_ORDER, dir, SORT_MEMORY);
        ExternalSort linkSort = new ExternalSort(LinkGroups.BY_POSITION, dir, SORT_MEMORY)) {
      TreeWalk.Problem problem;
      try (ExternalSort.Cursor sorted = keys.sorted();
          DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(byPath), 1 << 16))) {
        problem = new TreeWalk(nodes, linkSort, out, dir).run(sorted);
      }
      keys.close();
      if (problem != null) {
        throw UnsafeLayerException.entry(rawName(problem.position()), problem.message());
      }
      LinkGroups groups = null;
      try (ExternalSort.Cursor sortedLinks = linkSort.sorted()) {
        if (links > 0) {
          groups = LinkGroups.resolve(sortedLinks, count, links, dir);
        }
      }
      // Readable by all, as the rest of the store: other users' tools read it too.
      Path target = dev.strata.blob.Durability.createTempFile(into, "index-");
      try (ExternalSort.Cursor sortedNodes = nodes.sorted()) {
        new IndexWriter(dir).write(target, diffId, tarSize, spill, count, groups, byPath, sortedNodes);
      } catch (IOException | RuntimeException e) {
        Files.deleteIfExists(target);
        throw e;
      } finally {
        if (groups != null) {
          groups.close();
        }
      }
      return target;
    }
  }

  /** The name as the tar spelled it of the entry at {@code position}: read again from the spill. */
  private String rawName(long position) throws IOException {
    try (Spill.Reader in = spill.read()) {
      for (long i = 0; i < position; i++) {
        in.next();
      }
      return in.next().raw();
    }
  }

  @Override
  public void close() throws IOException {
    keys.close();
    spill.close();
    try (Stream<Path> left = Files.list(dir)) {
      for (Path p : (Iterable<Path>) left::iterator) {
        Files.deleteIfExists(p);
      }
    }
    Files.deleteIfExists(dir);
  }
}
