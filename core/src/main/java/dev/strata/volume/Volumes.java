package dev.strata.volume;

import dev.strata.blob.Durability;
import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.HostDir;
import dev.strata.host.HostPaths;
import dev.strata.host.Stat;
import dev.strata.image.Descriptor;
import dev.strata.layout.Containers;
import dev.strata.layout.Store;
import dev.strata.layout.VolumeSnapshots;
import dev.strata.transfer.ImageLocation;
import dev.strata.transfer.ImageSource;
import dev.strata.transfer.Puller;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The volumes of a store: {@code volumes/NAME/} holds {@code volume.json} (name, creation time,
 * labels), {@code data/} (the live data, a plain host directory) and {@code users/} (the
 * containers that use it). gc never looks here: a volume lives until it is removed.
 *
 * <p>A volume is made whole in this process's staging directory and renamed into place with
 * {@code RENAME_NOREPLACE}, so a volume is there complete or not at all, whenever the process
 * dies, and of two processes making the same name one wins and the other is told so. A removed
 * volume is first renamed into staging, then deleted: what a killed removal leaves is swept
 * with the staging. Publishing, removing and changing users take {@link Store#volumes()}, under
 * the store's shared lock.
 */
public final class Volumes {
  static final String DATA = "data";
  /** The label of a volume a run made for an image's VOLUME that no {@code -v} covered. */
  public static final String ANONYMOUS = "dev.strata.anonymous";
  /** An empty file in a volume's directory once its first container readied it. */
  private static final String INITIALIZED = "initialized";
  /** Docker's volume names; a name is one directory, so at most NAME_MAX bytes. */
  private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}");

  private final Store store;
  private final Path root;

  public Volumes(Store store) {
    this.store = store;
    this.root = store.root().resolve("volumes");
  }

  /** Checks that {@code name} can name a volume. */
  public static String checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid volume name '" + name
          + "': use letters, digits, '_', '.' and '-', starting with a letter or digit, at most 255");
    }
    return name;
  }

  /** Creates the empty volume {@code name} with {@code labels}; fails if it exists. */
  public Volume create(String name, Map<String, String> labels) throws IOException {
    checkName(name);
    checkLabels(labels);
    try (Store.Lock lock = store.shared()) {
      Path staged = stage();
      try {
        VolumeFile.write(staged, store.tmp(), name, Instant.now().toString(), labels);
        return publish(staged, name);
      } catch (IOException | RuntimeException e) {
        Trees.delete(staged);
        throw e;
      }
    }
  }

  /** Returns the volume {@code name}, if it exists. */
  public Optional<Volume> get(String name) throws IOException {
    return VolumeFile.read(root.resolve(checkName(name)));
  }

  /** Returns the volume {@code name}, failing with a message naming it if there is none. */
  public Volume require(String name) throws IOException {
    return get(name).orElseThrow(() -> new IllegalArgumentException("no volume named '" + name + "'"));
  }

  /** Every volume, in name order; unreadable ones are left out. */
  public List<Volume> list() throws IOException {
    List<Volume> out = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return out;
    }
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path d : dirs.sorted().toList()) {
        if (NAME.matcher(d.getFileName().toString()).matches()) {
          try {
            VolumeFile.read(d).ifPresent(out::add);
          } catch (IOException | RuntimeException e) {
            // damaged: not a volume anyone can use
          }
        }
      }
    }
    return out;
  }

  /** Returns the containers that use {@code volume} and still exist, in name order. */
  public List<String> users(Volume volume) throws IOException {
    return Users.live(volume.dir(), new Containers(store));
  }

  /** Returns whether no existing container uses {@code volume}. */
  public boolean dangling(Volume volume) throws IOException {
    return users(volume).isEmpty();
  }

  /** Records that container {@code container} uses volume {@code name}, which must exist. */
  public void use(String name, String container) throws IOException {
    Containers.checkName(container);
    try (Store.Lock lock = store.shared(); Store.Lock volumes = store.volumes()) {
      Users.add(require(name).dir(), container);
    }
  }

  /** Forgets that container {@code container} uses volume {@code name}; returns whether it did. */
  public boolean release(String name, String container) throws IOException {
    Containers.checkName(container);
    try (Store.Lock lock = store.shared(); Store.Lock volumes = store.volumes()) {
      Optional<Volume> v = get(name);
      return v.isPresent() && Users.remove(v.get().dir(), container);
    }
  }

  /**
   * Forgets {@code container} as a user of every volume (a removed container's records);
   * returns the names of the volumes it used.
   */
  public List<String> releaseAll(String container) throws IOException {
    Containers.checkName(container);
    List<String> released = new ArrayList<>();
    try (Store.Lock lock = store.shared(); Store.Lock volumes = store.volumes()) {
      for (Volume v : list()) {
        if (Users.remove(v.dir(), container)) {
          released.add(v.name());
        }
      }
    }
    return released;
  }

  /**
   * Readies volume {@code name} for its first container, as podman readies a new volume: if it
   * was never readied and its data is empty, copies the tree {@code source} into it (the
   * directory's own owner, mode and times too), as Docker fills a new volume mounted where an
   * image has files; with no {@code source} (the image has nothing there), gives the data
   * directory to {@code uid}:{@code gid}, the host's ids of the container's user, so that a
   * container in a user namespace may write to it. Marked once done, so that a volume its user
   * emptied is never filled again. The copy keeps owners, modes, nanosecond times, xattrs,
   * symlinks and hard links (the tar of {@link #export} read back as {@link #importFrom} reads
   * one). Holds the volumes lock meanwhile, so that of two runs starting on one new volume only
   * the first readies it. Returns whether it did.
   */
  public boolean initialize(String name, Path source, long uid, long gid) throws IOException {
    try (Store.Lock lock = store.shared(); Store.Lock volumes = store.volumes()) {
      Volume v = require(name);
      Path mark = v.dir().resolve(INITIALIZED);
      if (Files.exists(mark) || !empty(v.data())) {
        return false;
      }
      if (source == null) {
        HostPaths.lchown(v.data(), uid, gid);
      } else {
        try {
          VolumeCopy.copy(source, v.data());
        } catch (IOException | RuntimeException e) {
          // Half a copy would pass for the user's data next time: leave the volume empty again.
          Trees.deleteContents(v.data());
          throw e;
        }
        Durability.syncFilesystem(v.data());
      }
      Files.createFile(mark);
      return true;
    }
  }

  private static boolean empty(Path dir) throws IOException {
    try (Stream<Path> children = Files.list(dir)) {
      return children.findAny().isEmpty();
    }
  }

  /**
   * Removes volume {@code name} and its data. A volume that existing containers use is refused
   * (an {@link IllegalStateException} naming them) unless {@code force}.
   */
  public void remove(String name, boolean force) throws IOException {
    Path doomed;
    try (Store.Lock lock = store.shared()) {
      try (Store.Lock volumes = store.volumes()) {
        Volume v = require(name);
        List<String> users = users(v);
        if (!users.isEmpty() && !force) {
          throw new IllegalStateException("volume '" + name + "' is in use by container" + (users.size() == 1 ? " " : "s ")
              + String.join(", ", users) + ": remove " + (users.size() == 1 ? "it" : "them") + " first, or use --force");
        }
        doomed = unpublish(v);
      }
      Trees.delete(doomed);
    }
  }

  /**
   * Removes every volume no existing container uses (with {@code dryRun}, none); returns their
   * names.
   */
  public List<String> prune(boolean dryRun) throws IOException {
    List<String> pruned = new ArrayList<>();
    List<Path> doomed = new ArrayList<>();
    try (Store.Lock lock = store.shared()) {
      try (Store.Lock volumes = store.volumes()) {
        for (Volume v : list()) {
          if (dangling(v)) {
            pruned.add(v.name());
            if (!dryRun) {
              doomed.add(unpublish(v));
            }
          }
        }
      }
      for (Path d : doomed) {
        Trees.delete(d);
      }
    }
    return pruned;
  }

  /** Writes volume {@code name}'s data to {@code out} as a tar (see {@link VolumeExport}); leaves it open. */
  public void export(String name, OutputStream out) throws IOException {
    try (Store.Lock lock = store.shared()) {
      Volume v = require(name);
      long inode = inode(v.data());
      // A removal renames the volume away before it deletes a file: if it is still where it was,
      // nothing was deleted under the walk. The time of creation tells a new volume of the name.
      VolumeExport.write(v.data(), out, () -> {
        Optional<Volume> now = get(name);
        if (now.isEmpty() || !now.get().created().equals(v.created()) || inode(v.data()) != inode) {
          throw new IOException("volume '" + name + "' was removed while it was exported");
        }
      });
    }
  }

  /**
   * Writes volume {@code name}'s data to {@code file} as {@link #export(String, OutputStream)}
   * does, through a temp file beside it renamed over it at the end: {@code file} is the old file
   * or the whole new archive, however the process ends.
   */
  public void export(String name, Path file) throws IOException {
    Path target = file.toAbsolutePath();
    require(name);
    Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp");
    try {
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 16)) {
        export(name, out);
      }
      Durability.fsync(temp);
      Durability.renameDurably(temp, target);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Makes the new volume {@code name} from the tar {@code in} (plain, gzip or zstd; see
   * {@link VolumeImport}), reading it to its end. Nothing is in place until the whole tar has
   * been unpacked: a tar refused or cut short leaves no volume.
   */
  public Volume importFrom(InputStream in, String name, Map<String, String> labels) throws IOException {
    checkName(name);
    checkLabels(labels);
    try (Store.Lock lock = store.shared()) {
      if (get(name).isPresent()) {
        throw exists(name);
      }
      Path staged = stage();
      try {
        try (HostDir data = HostDir.open(staged.resolve(DATA))) {
          VolumeImport.read(in, data);
        }
        VolumeFile.write(staged, store.tmp(), name, Instant.now().toString(), labels);
        // One flush of the file system for every file unpacked, before the rename publishes them.
        Durability.syncFilesystem(staged);
        return publish(staged, name);
      } catch (IOException | RuntimeException e) {
        Trees.delete(staged);
        throw e;
      }
    }
  }

  /**
   * Makes a snapshot of volume {@code name}: a layer of what changed since the current
   * branch's newest snapshot (by each file's stat: only changed files are read), stored as
   * image layers are, and moves the branch to it. A volume without changes is refused with an
   * {@link IllegalStateException}.
   */
  public VolumeSnapshots.Snapshot commit(String name, String message) throws IOException {
    return versions(name, v -> v.commit(message));
  }

  /** The snapshots of volume {@code name}'s current branch, newest first. */
  public List<VolumeSnapshots.Snapshot> log(String name) throws IOException {
    return versions(name, v -> v.tip().isEmpty() ? List.of()
        : VolumeSnapshots.chain(require(name).dir(), v.tip().get().id()));
  }

  /** The current branch of volume {@code name}. */
  public String currentBranch(String name) throws IOException {
    return versions(name, v -> VolumeSnapshots.head(require(name).dir()));
  }

  /** The branches of volume {@code name} and the id of each one's newest snapshot, in name order. */
  public SortedMap<String, String> branches(String name) throws IOException {
    return versions(name, v -> VolumeSnapshots.branches(require(name).dir()));
  }

  /** Whether volume {@code name}'s data changed since the current branch's newest snapshot. */
  public boolean changed(String name) throws IOException {
    return versions(name, v -> !v.changes().isEmpty());
  }

  /**
   * Makes branch {@code branch} of volume {@code name} at the snapshot whose id starts with
   * {@code snapshot} (null: the current branch's newest); the data and the current branch stay.
   */
  public VolumeSnapshots.Snapshot branch(String name, String branch, String snapshot) throws IOException {
    VolumeSnapshots.checkBranch(branch);
    return versions(name, v -> {
      Path dir = require(name).dir();
      if (VolumeSnapshots.branch(dir, branch).isPresent()) {
        throw new FileAlreadyExistsException(null, null, "volume '" + name + "' has a branch '" + branch + "' already");
      }
      VolumeSnapshots.Snapshot at = snapshot != null ? VolumeSnapshots.resolve(dir, snapshot)
          : v.tip().orElseThrow(() -> new IllegalStateException("volume '" + name
              + "' has no snapshot to branch from: commit first"));
      VolumeSnapshots.setBranch(dir, store.tmp(), branch, at.id());
      return at;
    });
  }

  /**
   * Makes volume {@code name}'s data exactly the snapshot whose id starts with {@code snapshot}
   * and moves the current branch to it, discarding the changes since. A volume that containers
   * use is refused (their mounts keep the old directory) unless {@code force}.
   */
  public VolumeSnapshots.Snapshot reset(String name, String snapshot, boolean force) throws IOException {
    return versions(name, v -> {
      Path dir = require(name).dir();
      VolumeSnapshots.Snapshot at = VolumeSnapshots.resolve(dir, snapshot);
      v.restore(at, VolumeSnapshots.head(dir), false, force);
      return at;
    });
  }

  /**
   * Makes {@code branch} volume {@code name}'s current branch and its data that branch's newest
   * snapshot. Changes since the current branch's newest snapshot are refused, as is a volume
   * that containers use, unless {@code force}.
   */
  public VolumeSnapshots.Snapshot checkout(String name, String branch, boolean force) throws IOException {
    VolumeSnapshots.checkBranch(branch);
    return versions(name, v -> {
      Path dir = require(name).dir();
      String id = VolumeSnapshots.branch(dir, branch).orElseThrow(() -> new IllegalArgumentException(
          "volume '" + name + "' has no branch '" + branch + "'"));
      if (!force && !v.changes().isEmpty()) {
        throw new IllegalStateException("volume '" + name + "' has changes since snapshot "
            + v.tip().map(VolumeSnapshots.Snapshot::shortId).orElse("(none)")
            + ": commit them, or use --force to discard them");
      }
      VolumeSnapshots.Snapshot at = VolumeSnapshots.read(dir, id).orElseThrow(() -> new IOException(
          "branch '" + branch + "' of volume '" + name + "' names snapshot " + id + ", which is missing"));
      v.restore(at, branch, true, force);
      return at;
    });
  }

  /**
   * Writes the snapshots of volume {@code name}'s current branch to {@code dest} as an OCI
   * artifact (docs/volumes.md says what it holds): blobs the destination has already are not
   * sent again, so a second push sends only the new snapshot. Changes since the last snapshot
   * are not in it. Returns the descriptor of the manifest written.
   */
  public Descriptor push(String name, ImageLocation dest) throws IOException {
    return versions(name, v -> {
      Volume volume = require(name);
      VolumeSnapshots.Snapshot tip = v.tip().orElseThrow(() -> new IllegalStateException("volume '" + name
          + "' has no snapshot to push: commit first"));
      List<VolumeSnapshots.Snapshot> chain = new ArrayList<>(VolumeSnapshots.chain(volume.dir(), tip.id()));
      Collections.reverse(chain);
      if (chain.get(0).parent() != null) {
        throw new IOException("snapshot " + chain.get(0).parent() + " of volume '" + name + "' is missing");
      }
      for (VolumeSnapshots.Snapshot s : chain) {
        if (store.blobs().size(s.blob()) != s.size()) {
          throw new IOException("the blob " + s.blob() + " of snapshot " + s.shortId() + " of volume '" + name
              + "' is missing from the store");
        }
      }
      return dest.write(VolumeArtifact.of(store, VolumeSnapshots.head(volume.dir()), volume.labels(), chain));
    });
  }

  /** What a pull did to the volume. */
  public enum PullOutcome {
    /** The volume did not exist: it was made, on the pushed branch, with the pushed snapshots. */
    CREATED,
    /** The current branch was at a snapshot the pulled chain holds (or had none), and moved on to its end. */
    FAST_FORWARD,
    /** The current branch had snapshots the pulled chain lacks, and was reset to it (--force). */
    RESET,
    /** The current branch was at the pulled chain's end already. */
    UP_TO_DATE,
    /** The current branch's snapshots follow the pulled chain's end: nothing to take. */
    AHEAD
  }

  /**
   * The result of a pull: the volume, the snapshot its current branch is at, what happened,
   * and how each snapshot's layer was obtained (a layer the store had is not read).
   */
  public record Pulled(Volume volume, VolumeSnapshots.Snapshot snapshot, PullOutcome outcome,
      List<Puller.LayerEvent> layers) {}

  /**
   * Takes the volume artifact {@code source} holds ({@code where} names it in messages) into
   * volume {@code name}. The snapshots' layers the store lacks are fetched through
   * {@code puller}, each verified, and every record is checked against its id before any is
   * kept. A volume that does not exist is made whole in staging and renamed into place; an
   * existing one moves its current branch forward to the pulled snapshot and its data with it
   * (as {@link #reset} does, one exchange). A branch with snapshots the pulled chain lacks,
   * changes since the last snapshot, and containers using the volume are refused unless
   * {@code force}. A kill leaves the volume as it was or as pulled.
   */
  public Pulled pull(ImageSource source, String where, String name, boolean force, Puller puller)
      throws IOException {
    checkName(name);
    try (Store.Lock lock = store.shared()) {
      VolumeArtifact.Contents got = VolumeArtifact.read(source, where);
      checkLabels(got.labels());
      List<Puller.LayerEvent> layers = puller.pullLayers(source, got.layers(), got.diffIds());
      if (get(name).isEmpty()) {
        return new Pulled(fresh(name, got), got.tip(), PullOutcome.CREATED, layers);
      }
      return versions(name, v -> {
        Volume volume = require(name);
        PullOutcome outcome = forward(volume, v, got, force);
        return new Pulled(volume, v.tip().orElseThrow(), outcome, layers);
      });
    }
  }

  /** Makes volume {@code name} from a pulled chain: records, branch and data, in staging, then renamed in. */
  private Volume fresh(String name, VolumeArtifact.Contents got) throws IOException {
    Path staged = stage();
    try {
      VolumeFile.write(staged, store.tmp(), name, Instant.now().toString(), got.labels());
      for (VolumeSnapshots.Snapshot s : got.snapshots()) {
        VolumeSnapshots.write(staged, store.tmp(), s);
      }
      Volume volume = VolumeFile.read(staged).orElseThrow();
      new VolumeVersions(store, volume).restore(got.tip(), got.branch(), true, false);
      Durability.syncFilesystem(staged);
      return publish(staged, name);
    } catch (IOException | RuntimeException e) {
      Trees.delete(staged);
      throw e;
    }
  }

  /** Moves an existing volume's current branch (and data) to the pulled chain's end, where that is allowed. */
  private PullOutcome forward(Volume volume, VolumeVersions v, VolumeArtifact.Contents got, boolean force)
      throws IOException {
    Path dir = volume.dir();
    VolumeSnapshots.Snapshot pulled = got.tip();
    Optional<VolumeSnapshots.Snapshot> tip = v.tip();
    if (tip.isPresent() && tip.get().id().equals(pulled.id())) {
      return PullOutcome.UP_TO_DATE;
    }
    boolean behind = tip.isEmpty() || got.snapshots().stream().anyMatch(s -> s.id().equals(tip.get().id()));
    if (!behind && VolumeSnapshots.chain(dir, tip.get().id()).stream().anyMatch(s -> s.id().equals(pulled.id()))) {
      return PullOutcome.AHEAD;
    }
    String branch = VolumeSnapshots.head(dir);
    if (!behind && !force) {
      throw new IllegalStateException("volume '" + volume.name() + "' has snapshots the pulled one lacks: its branch '"
          + branch + "' is at " + tip.get().shortId() + ", which " + pulled.shortId()
          + " does not follow; use --force to reset the branch to " + pulled.shortId()
          + " (its own snapshots stay in other branches only)");
    }
    if (!force && !v.changes().isEmpty()) {
      throw new IllegalStateException("volume '" + volume.name() + "' has changes since snapshot "
          + tip.map(VolumeSnapshots.Snapshot::shortId).orElse("(none)")
          + ": commit them, or use --force to discard them");
    }
    for (VolumeSnapshots.Snapshot s : got.snapshots()) {
      if (VolumeSnapshots.read(dir, s.id()).isEmpty()) {
        VolumeSnapshots.write(dir, store.tmp(), s);
      }
    }
    v.restore(pulled, branch, false, force);
    return behind ? PullOutcome.FAST_FORWARD : PullOutcome.RESET;
  }

  /** What is done to a volume's versions. */
  @FunctionalInterface
  private interface VersionsAction<T> {
    T run(VolumeVersions versions) throws IOException;
  }

  /**
   * Runs {@code action} on volume {@code name} under the shared store lock and the volume's
   * versions lock, once a reset or checkout that a kill interrupted is finished or forgotten.
   */
  private <T> T versions(String name, VersionsAction<T> action) throws IOException {
    try (Store.Lock lock = store.shared()) {
      Volume v = require(name);
      try (Store.Lock versions = store.volumeVersions(v.dir())) {
        VolumeVersions of = new VolumeVersions(store, require(name));
        of.finishRestore();
        return action.run(of);
      }
    }
  }

  /** Makes a volume's directory with an empty {@code data/} in this process's staging directory. */
  private Path stage() throws IOException {
    Path staged = store.tmp().resolve("volume-" + UUID.randomUUID());
    Files.createDirectory(staged);
    Path data = Files.createDirectory(staged.resolve(DATA));
    HostPaths.chmod(data, 0755); // as a fresh directory is, whatever the umask
    return staged;
  }

  /** Renames the staged volume into place as {@code name}, unless a volume of that name is there. */
  private Volume publish(Path staged, String name) throws IOException {
    try (Store.Lock volumes = store.volumes()) {
      Files.createDirectories(root);
      Path dir = root.resolve(name);
      try {
        HostPaths.rename(staged, dir, HostDir.RENAME_NOREPLACE);
      } catch (ErrnoException e) {
        if (e.errno() == Errno.EEXIST || e.errno() == Errno.ENOTEMPTY) {
          throw exists(name);
        }
        throw e;
      }
      Durability.fsyncDirectory(root);
      return VolumeFile.read(dir).orElseThrow();
    }
  }

  /** Renames {@code v} out of place into staging, where it is deleted; the caller holds the volumes lock. */
  private Path unpublish(Volume v) throws IOException {
    Path doomed = store.tmp().resolve("removed-volume-" + UUID.randomUUID());
    Files.move(v.dir(), doomed, StandardCopyOption.ATOMIC_MOVE);
    Durability.fsyncDirectory(root);
    return doomed;
  }

  /** The inode of {@code dir}, -1 if there is nothing there. */
  private static long inode(Path dir) throws IOException {
    try {
      Stat st = HostPaths.stat(dir);
      return st == null ? -1 : st.ino();
    } catch (ErrnoException e) {
      if (e.errno() == Errno.ENOENT) {
        return -1; // its volume's directory is gone
      }
      throw e;
    }
  }

  private static FileAlreadyExistsException exists(String name) {
    return new FileAlreadyExistsException(null, null, "volume '" + name + "' already exists");
  }

  private static void checkLabels(Map<String, String> labels) {
    for (Map.Entry<String, String> l : labels.entrySet()) {
      if (l.getKey() == null || l.getKey().isEmpty() || l.getValue() == null) {
        throw new IllegalArgumentException("invalid label '" + l.getKey() + "=" + l.getValue()
            + "': a label is KEY=VALUE with a KEY that is not empty");
      }
    }
  }
}
