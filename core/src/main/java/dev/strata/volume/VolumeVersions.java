package dev.strata.volume;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.strata.blob.Durability;
import dev.strata.build.StoredLayer;
import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.HostDir;
import dev.strata.host.HostPaths;
import dev.strata.host.Names;
import dev.strata.host.Stat;
import dev.strata.image.Compression;
import dev.strata.image.Layer;
import dev.strata.image.MediaType;
import dev.strata.image.json.ImageJson;
import dev.strata.layer.LayerIndex;
import dev.strata.layer.LayerTarWriter;
import dev.strata.layer.Paths;
import dev.strata.layout.Containers;
import dev.strata.layout.Store;
import dev.strata.layout.VolumeSnapshots;
import dev.strata.layout.VolumeSnapshots.Snapshot;
import dev.strata.overlay.Whiteouts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Versions of a volume, as dvol keeps them: a commit makes a snapshot (a layer of the changes
 * since the last one, in the store beside image layers, so its files share objects with every
 * layer that has them) on the current branch; reset and checkout make the live data a
 * snapshot's tree. See docs/volumes.md for why it is built so.
 *
 * <p>Each use begins with {@link #finishRestore}. Everything here holds the store's shared
 * lock (gc keeps what snapshots reach, and does not run meanwhile) and the volume's versions lock (one commit, reset or checkout of a volume
 * at a time).
 */
final class VolumeVersions {
  /** The snapshot being put in place, written before the swap and removed after it. */
  private static final String RESTORING = "restoring.json";

  private final Store store;
  private final Volume volume;

  VolumeVersions(Store store, Volume volume) {
    this.store = store;
    this.volume = volume;
  }

  /** The JSON of a restore under way: the snapshot, its branch, and the inode its staged data has. */
  private record Restoring(@JsonProperty("snapshot") String snapshot, @JsonProperty("branch") String branch,
      @JsonProperty("current") boolean current, @JsonProperty("inode") long inode) {}

  /** One change of the live data since the last snapshot: a path whose stat differs, or (no stat) one deleted. */
  record Change(String path, Stat stat) {}

  /** What a scan of the live data found: its changes, every path's stat now, and when the walk began. */
  record Scan(List<Change> changes, Map<String, Stat> stats, long walked) {}

  private Path dir() {
    return volume.dir();
  }

  /** The current branch's newest snapshot, if it has one. */
  Optional<Snapshot> tip() throws IOException {
    Optional<String> id = VolumeSnapshots.branch(dir(), VolumeSnapshots.head(dir()));
    return id.isEmpty() ? Optional.empty() : VolumeSnapshots.read(dir(), id.get());
  }

  /**
   * Makes a snapshot of the changes since the current branch's newest one and moves the branch
   * to it; a volume without changes is refused (an {@link IllegalStateException}), as git
   * refuses an empty commit.
   */
  Snapshot commit(String message) throws IOException {
    Optional<Snapshot> parent = tip();
    Scan scan = scan(parent);
    if (scan.changes().isEmpty()) {
      throw new IllegalStateException("volume '" + volume.name() + "' has no changes since snapshot "
          + parent.map(Snapshot::shortId).orElse("(none)") + ": nothing to commit");
    }
    List<LayerIndex> below = layers(parent);
    Layer layer;
    try (HostDir root = HostDir.open(volume.data())) {
      layer = StoredLayer.write(store, below, Compression.ZSTD, 0, MediaType.OCI_LAYER_ZSTD, out -> {
        LayerTarWriter tar = new LayerTarWriter(out);
        VolumeExport entries = new VolumeExport(root, tar);
        for (Change c : scan.changes()) {
          if (c.stat() == null) {
            tar.whiteout(Paths.parent(c.path()), Paths.name(c.path()));
          } else {
            entries.one(c.path(), c.stat());
          }
        }
        tar.close();
      });
    }
    Snapshot s = VolumeSnapshots.write(dir(), store.tmp(), new Snapshot(null, parent.map(Snapshot::id).orElse(null),
        layer.diffId(), layer.descriptor().digest(), layer.descriptor().size(), layer.descriptor().mediaType(),
        message == null ? "" : message, Instant.now().toString()));
    // The moment of the commit: before it, the branch is at its old snapshot; after, at the new.
    VolumeSnapshots.setBranch(dir(), store.tmp(), VolumeSnapshots.head(dir()), s.id());
    StatMemory.write(dir(), store.tmp(), s.id(), scan.stats(), scan.walked());
    return s;
  }

  /** The changes of the live data since the current branch's newest snapshot. */
  List<Change> changes() throws IOException {
    return scan(tip()).changes();
  }

  /**
   * Walks the live data, comparing each path's stat with the memory of {@code parent}: only a
   * path whose stat differs is a change (and only a changed file is read, later, by the
   * commit). Without a memory of {@code parent}, every path is a change, and what the
   * snapshot's tree has that the data lacks is a deletion.
   */
  private Scan scan(Optional<Snapshot> parent) throws IOException {
    Map<String, Stat> before = Map.of();
    Set<String> beforePaths = Set.of();
    if (parent.isPresent()) {
      Optional<StatMemory.Memory> memory = StatMemory.read(dir());
      if (memory.isPresent() && memory.get().snapshot().equals(parent.get().id())) {
        before = memory.get().stats();
        beforePaths = before.keySet();
      } else {
        beforePaths = new HashSet<>(new SnapshotTree(layers(parent)).paths());
      }
    }
    Map<String, List<String>> children = new HashMap<>();
    for (String p : beforePaths) {
      if (!p.isEmpty()) {
        children.computeIfAbsent(Paths.parent(p), k -> new ArrayList<>()).add(Paths.name(p));
      }
    }
    Walk walk = new Walk(before, children);
    Instant start = Instant.now();
    long walked = start.getEpochSecond() * 1_000_000_000L + start.getNano();
    try (HostDir root = HostDir.open(volume.data())) {
      walk.walk(root, "", root.stat(""));
      if (!walk.racy.isEmpty()) {
        SnapshotTree tree = new SnapshotTree(layers(parent));
        for (Change c : walk.racy) {
          if (tree.holds(c.path(), c.stat(), root, store.objects())) {
            walk.changes.remove(c);
          }
        }
      }
    }
    return new Scan(walk.changes, walk.stats, walked);
  }

  /** A walk of the live data against the stats and names it had. */
  private static final class Walk {
    final Map<String, Stat> before;
    final Map<String, List<String>> beforeChildren;
    final List<Change> changes = new ArrayList<>();
    final Map<String, Stat> stats = new HashMap<>();
    /** Changes whose only difference is a remembered ctime that proved nothing ({@link StatMemory#RACY}). */
    final List<Change> racy = new ArrayList<>();

    Walk(Map<String, Stat> before, Map<String, List<String>> beforeChildren) {
      this.before = before;
      this.beforeChildren = beforeChildren;
    }

    void walk(HostDir root, String rel, Stat st) throws IOException {
      if (st.type() == Stat.S_IFSOCK) {
        return; // no layer holds one
      }
      stats.put(rel, st);
      Stat old = before.get(rel);
      boolean unchanged = old != null && StatMemory.sameButCtime(old, st);
      if (!unchanged || old.ctimeNanos() != st.ctimeNanos()) {
        Change c = new Change(rel, st);
        changes.add(c);
        if (unchanged && old.ctimeNanos() == StatMemory.RACY) {
          racy.add(c);
        }
      }
      if (!st.isDirectory()) {
        return;
      }
      List<String> names = new ArrayList<>();
      root.list(rel).forEach(e -> names.add(e.name()));
      names.sort(Names.BYTE_ORDER);
      for (String name : names) {
        String child = Paths.join(rel, name);
        if (Whiteouts.isWhiteoutName(name)) {
          // In a layer the name deletes what is below: a snapshot could not give the file back.
          throw new IOException("cannot snapshot '" + Names.printable(child) + "': a name starting with '"
              + Whiteouts.PREFIX + "' is a deletion in a layer");
        }
        Stat cs = root.stat(child);
        if (cs != null) { // else removed since the listing
          walk(root, child, cs);
        }
      }
      List<String> gone = new ArrayList<>(beforeChildren.getOrDefault(rel, List.of()));
      gone.removeAll(new HashSet<>(names));
      gone.sort(Names.BYTE_ORDER);
      for (String name : gone) {
        changes.add(new Change(Paths.join(rel, name), null));
      }
    }
  }

  /** The layer indexes of {@code tip}'s chain, bottom first; a layer gc took fails, naming it. */
  private List<LayerIndex> layers(Optional<Snapshot> tip) throws IOException {
    List<LayerIndex> out = new ArrayList<>();
    if (tip.isEmpty()) {
      return out;
    }
    List<Snapshot> chain = VolumeSnapshots.chain(dir(), tip.get().id());
    Collections.reverse(chain);
    if (chain.get(0).parent() != null) {
      throw new IOException("snapshot " + chain.get(0).parent() + " of volume '" + volume.name() + "' is missing");
    }
    for (Snapshot s : chain) {
      if (!store.layers().contains(s.diffId())) {
        throw new IOException("the layer " + s.diffId() + " of snapshot " + s.shortId() + " of volume '"
            + volume.name() + "' is missing from the store");
      }
      out.add(store.layers().read(s.diffId()));
    }
    return out;
  }

  /**
   * Makes the live data exactly {@code snapshot}'s tree and {@code branch} point at it (and,
   * with {@code makeCurrent}, the current branch). The tree is unpacked in staging (owners,
   * modes, times, xattrs and links as an import sets them), then exchanged with the live data
   * in one rename: the data directory keeps its path, and a kill leaves the old tree or the new.
   * A volume that containers use is refused unless {@code force}: a container's bind mount
   * holds the directory it mounted, which after the exchange is the old tree.
   */
  void restore(Snapshot snapshot, String branch, boolean makeCurrent, boolean force) throws IOException {
    SnapshotTree tree = new SnapshotTree(layers(Optional.of(snapshot)));
    Path staged = store.tmp().resolve("volume-data-" + UUID.randomUUID());
    Files.createDirectory(staged);
    try {
      VolumeCopy.copy("snapshot " + snapshot.shortId(), out -> tree.write(store.objects(), out), staged);
      Durability.syncFilesystem(staged);
      try (Store.Lock volumes = store.volumes()) {
        List<String> users = Users.live(dir(), new Containers(store));
        if (!users.isEmpty() && !force) {
          throw new IllegalStateException("volume '" + volume.name() + "' is in use by container"
              + (users.size() == 1 ? " " : "s ") + String.join(", ", users)
              + ": their mounts would keep the old data; stop and remove them first, or use --force");
        }
        Durability.writeAtomically(dir().resolve(RESTORING), store.tmp(),
            ImageJson.bytes(new Restoring(snapshot.id(), branch, makeCurrent, HostPaths.stat(staged).ino())));
        HostPaths.rename(staged, volume.data(), HostDir.RENAME_EXCHANGE);
        Durability.fsyncDirectory(dir());
        Durability.fsyncDirectory(staged.getParent());
        finishRestore();
      }
    } finally {
      Trees.delete(staged); // the old data once exchanged, else what was staged
    }
  }

  /**
   * Ends a restore a kill interrupted: if the staged tree was exchanged in (the data has its
   * inode), its branch is moved and the memory written; if not, the restore never happened.
   */
  void finishRestore() throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(dir().resolve(RESTORING));
    } catch (NoSuchFileException e) {
      return;
    }
    Restoring r = ImageJson.mapper().readValue(bytes, Restoring.class);
    if (inode(volume.data()) == r.inode()) {
      VolumeSnapshots.setBranch(dir(), store.tmp(), r.branch(), r.snapshot());
      if (r.current()) {
        VolumeSnapshots.setHead(dir(), store.tmp(), r.branch());
      }
      Scan now = scan(Optional.empty());
      StatMemory.write(dir(), store.tmp(), r.snapshot(), now.stats(), now.walked());
    }
    Files.delete(dir().resolve(RESTORING));
    Durability.fsyncDirectory(dir());
  }

  private static long inode(Path p) throws IOException {
    try {
      return HostPaths.stat(p).ino();
    } catch (ErrnoException e) {
      if (e.errno() == Errno.ENOENT) {
        return -1;
      }
      throw e;
    }
  }
}
