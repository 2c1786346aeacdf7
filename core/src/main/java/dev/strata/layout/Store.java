package dev.strata.layout;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSortedMap;
import dev.strata.blob.ContentStore;
import dev.strata.blob.Durability;
import dev.strata.blob.ObjectStore;
import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.image.ImageIndex;
import dev.strata.image.json.ImageJson;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A Strata store. Its root is a valid OCI image layout, so skopeo and umoci read it as one;
 * beside the layout it keeps {@code layers/} (one metadata index per layer), {@code objects/}
 * (file contents by sha256, shared by all layers), {@code containers/}, {@code volumes/} (data
 * that outlives containers, which gc never touches), {@code pins/} (images in use by mounts),
 * {@code tmp/} (a staging directory per process) and locks.
 *
 * <p>Blobs, objects and indexes are content-addressed and written atomically, so concurrent
 * pulls need only a shared lock; index.json is rewritten under its own exclusive lock, and gc
 * and repair take the store lock exclusively.
 */
public final class Store {
  /** The content of an OCI layout's {@code oci-layout} file. */
  public static final String OCI_LAYOUT = "{\"imageLayoutVersion\":\"1.0.0\"}";
  /** What a tag may look like: the OCI ref.name grammar, loosely, and no path tricks. */
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,254}");

  private final Path root;
  private final Path tmpRoot;
  private final ContentStore blobs;
  private final ObjectStore objects;
  private final LayerIndexes layers;
  private final StoreLock lock;
  private final StoreLock indexLock;
  private final StoreLock volumesLock;
  private PrintStream notices = System.err;

  private Store(Path root) throws IOException {
    this.root = root;
    this.tmpRoot = root.resolve("tmp");
    Path tmp = StagingSessions.own(tmpRoot);
    this.blobs = ContentStore.flat(root.resolve("blobs"), tmp);
    this.objects = ObjectStore.open(root.resolve("objects"), tmp);
    this.layers = new LayerIndexes(root.resolve("layers"), tmp);
    this.lock = StoreLock.of(root.resolve("lock"));
    this.indexLock = StoreLock.of(root.resolve("index.lock"));
    this.volumesLock = StoreLock.of(root.resolve("volumes.lock"));
  }

  /** Opens the store at {@code root}, creating it if absent. An existing OCI layout is adopted. */
  public static Store open(Path root) throws IOException {
    Path abs = root.toAbsolutePath().normalize();
    if (Files.exists(abs) && !Files.isDirectory(abs)) {
      throw new IOException("store path " + abs + " exists and is not a directory");
    }
    Files.createDirectories(abs);
    Store store = new Store(abs);
    store.initialize();
    return store;
  }

  private void initialize() throws IOException {
    Files.createDirectories(root.resolve("blobs").resolve(Digest.SHA256));
    Files.createDirectories(root.resolve("objects"));
    Files.createDirectories(root.resolve("layers"));
    Files.createDirectories(root.resolve("containers"));
    Path layout = root.resolve("oci-layout");
    if (!Files.exists(layout)) {
      Durability.writeAtomically(layout, tmp(), OCI_LAYOUT.getBytes(StandardCharsets.UTF_8));
    }
    Path index = root.resolve("index.json");
    if (!Files.exists(index)) {
      try (StoreLock.Held held = indexLock.exclusive(null, null)) {
        if (!Files.exists(index)) {
          writeIndex(new ImageIndex(null, ImmutableList.of(), ImmutableMap.of()));
        }
      }
    }
  }

  /** Sends "waiting for lock" notices to {@code out} (null: silent). */
  public Store withNotices(PrintStream out) {
    this.notices = out;
    return this;
  }

  /** Returns the root directory. */
  public Path root() {
    return root;
  }

  /**
   * Returns this process's staging directory, on the store's filesystem: what is left in it when
   * the process dies is removed by the next process that takes the store lock.
   */
  public Path tmp() {
    return StagingSessions.own(tmpRoot);
  }

  /** Returns the directory of logs that outlive the process that started them (mount servers'). */
  public Path logs() throws IOException {
    return Files.createDirectories(root.resolve("logs"));
  }

  /** Returns the OCI blobs. */
  public ContentStore blobs() {
    return blobs;
  }

  /** Returns the file objects. */
  public ObjectStore objects() {
    return objects;
  }

  /** Returns the layer indexes. */
  public LayerIndexes layers() {
    return layers;
  }

  /** A held store lock. */
  public interface Lock extends AutoCloseable {
    @Override
    void close();
  }

  /** Takes the store lock shared: for pulls, pushes and reads, which may run side by side. */
  public Lock shared() throws IOException {
    StoreLock.Held held = lock.shared(notices, null);
    sweepStaging();
    return held::close;
  }

  /** Takes the store lock exclusively: for gc and repair, which must run alone. */
  public Lock exclusive() throws IOException {
    return exclusive(null);
  }

  /**
   * Takes the store lock exclusively, giving up after {@code timeout} (null: waits as long as it
   * takes) with a {@link StoreBusyException} that names the processes holding it.
   */
  public Lock exclusive(java.time.Duration timeout) throws IOException {
    StoreLock.Held held = lock.exclusive(notices, timeout);
    sweepStaging();
    return held::close;
  }

  /**
   * Keeps image {@code manifest} and everything it reaches from gc for as long as the returned
   * pin is held, without holding the store lock: for a mount, which uses an image for hours.
   * {@code holder} says who holds it (gc names it). Take it while holding {@link #shared()},
   * after resolving the image: gc cannot run between the two.
   */
  public Lock pin(Descriptor manifest, String holder) throws IOException {
    return Pins.hold(this, manifest, holder);
  }

  /** Removes what dead processes left in tmp/, saying what it could not remove. */
  private void sweepStaging() throws IOException {
    StagingSessions.Swept swept = StagingSessions.sweep(tmpRoot);
    if (notices != null) {
      for (String kept : swept.kept()) {
        notices.println("strata: cannot remove staging leftover " + kept);
      }
    }
  }

  /**
   * Takes the lock on indexing layer {@code diffId} from its blob, exclusively: of two processes
   * that find the same layer without an index, the second waits and then finds the index
   * written. Taken under the shared store lock, so its file in {@code tmp/} outlives it until gc.
   */
  public Lock indexing(Digest diffId) throws IOException {
    StoreLock.Held held = StoreLock.of(tmpRoot.resolve("index-" + diffId.algorithm() + "-" + diffId.hex() + ".lock"))
        .exclusive(notices, null);
    return held::close;
  }

  /**
   * Takes the lock on the store's volumes exclusively: for creating, publishing and removing a
   * volume and changing its users, each a few renames and small files, so one lock serves all
   * volumes. Taken under {@link #shared()}, never around a volume's data being copied.
   */
  public Lock volumes() throws IOException {
    StoreLock.Held held = volumesLock.exclusive(notices, null);
    return held::close;
  }

  /**
   * Takes the lock on the versions of the volume in {@code volumeDir} exclusively: commit,
   * reset, branch and checkout of one volume run one at a time, other volumes alongside. Taken
   * under {@link #shared()}, before {@link #volumes()} when both are held.
   */
  public Lock volumeVersions(Path volumeDir) throws IOException {
    StoreLock.Held held = StoreLock.of(volumeDir.resolve("versions.lock")).exclusive(notices, null);
    return held::close;
  }

  /** Checks that {@code name} can be a tag. */
  public static String checkTag(String name) {
    checkArgument(name != null && TAG.matcher(name).matches(),
        "invalid image name '%s': use letters, digits and . _ - : @ / + (at most 255, starting with a letter or digit)",
        name);
    return name;
  }

  /** Returns every tag with its manifest descriptor, sorted by name. */
  public ImmutableSortedMap<String, Descriptor> tags() throws IOException {
    java.util.TreeMap<String, Descriptor> out = new java.util.TreeMap<>();
    for (Descriptor d : readIndex().manifests()) {
      if (d.refName() != null) {
        out.put(d.refName(), d);
      }
    }
    return ImmutableSortedMap.copyOfSorted(out);
  }

  /** Returns the descriptor for a tag, or for a manifest digest in the index. */
  public Optional<Descriptor> resolve(String name) throws IOException {
    ImageIndex index = readIndex();
    for (Descriptor d : index.manifests()) {
      if (name.equals(d.refName())) {
        return Optional.of(d);
      }
    }
    if (name.startsWith(Digest.SHA256 + ":") || name.startsWith(Digest.SHA512 + ":")) {
      Digest digest;
      try {
        digest = Digest.parse(name);
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
      for (Descriptor d : index.manifests()) {
        if (d.digest().equals(digest)) {
          return Optional.of(d.withAnnotations(ImmutableMap.of()));
        }
      }
    }
    return Optional.empty();
  }

  /** Points tag {@code name} at {@code manifest} (whose blob must be stored), replacing any old target. */
  public void tag(String name, Descriptor manifest) throws IOException {
    checkTag(name);
    if (!blobs.contains(manifest.digest())) {
      throw new IOException("cannot tag " + name + ": manifest " + manifest.digest() + " is not in the store");
    }
    try (StoreLock.Held held = indexLock.exclusive(notices, null)) {
      ImageIndex index = readIndex();
      List<Descriptor> kept = new ArrayList<>();
      for (Descriptor d : index.manifests()) {
        if (!name.equals(d.refName())) {
          kept.add(d);
        }
      }
      kept.add(new Descriptor(manifest.mediaType(), manifest.digest(), manifest.size(),
          ImmutableMap.of(Descriptor.REF_NAME, name), manifest.platform()));
      kept.sort((a, b) -> String.valueOf(a.refName()).compareTo(String.valueOf(b.refName())));
      writeIndex(new ImageIndex(null, ImmutableList.copyOf(kept), index.annotations()));
    }
  }

  /** Removes tag {@code name}; returns the descriptor it pointed at, if it existed. */
  public Optional<Descriptor> untag(String name) throws IOException {
    try (StoreLock.Held held = indexLock.exclusive(notices, null)) {
      ImageIndex index = readIndex();
      List<Descriptor> kept = new ArrayList<>();
      Descriptor removed = null;
      for (Descriptor d : index.manifests()) {
        if (name.equals(d.refName())) {
          removed = d;
        } else {
          kept.add(d);
        }
      }
      if (removed != null) {
        writeIndex(new ImageIndex(null, ImmutableList.copyOf(kept), index.annotations()));
      }
      return Optional.ofNullable(removed);
    }
  }

  /** Reads index.json. */
  public ImageIndex readIndex() throws IOException {
    return ImageJson.parseIndex(Files.readAllBytes(root.resolve("index.json")));
  }

  private void writeIndex(ImageIndex index) throws IOException {
    Durability.writeAtomically(root.resolve("index.json"), tmp(), ImageJson.write(index));
  }
}
