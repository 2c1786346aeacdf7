package dev.strata.volume;

import dev.strata.blob.Durability;
import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.HostDir;
import dev.strata.host.HostPaths;
import dev.strata.host.Stat;
import dev.strata.layout.Containers;
import dev.strata.layout.Store;
import dev.strata.layout.VolumeSnapshots;
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
