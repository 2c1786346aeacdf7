package dev.strata.build;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import dev.strata.host.Privileges;
import dev.strata.image.Image;
import dev.strata.image.Layer;
import dev.strata.image.Platform;
import dev.strata.layer.IngestLimits;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import dev.strata.transfer.Images;
import dev.strata.transfer.Puller;
import dev.strata.union.IdMap;
import dev.strata.union.StoreLayer;
import dev.strata.union.UnionFs;
import dev.strata.union.UnionOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An image opened read-write: its layers read in place from the store, a private upper layer
 * taking every change, through the same engine a container's mount uses (copy-up, whiteouts,
 * opaque directories). Change it by path here, or through {@link #engine()} (what a FUSE mount
 * serves); then {@link #commit} makes the changes a layer and the image with it on top.
 *
 * <pre>{@code
 * try (ImageUnion union = ImageUnion.open(store, base)) {
 *   union.delete("/usr/share/doc");
 *   union.writeFile("/etc/motd", "hi\n".getBytes(UTF_8), FileAttributes.mode(0644));
 *   Image changed = union.commit(BuildOptions.defaults(), "edit motd");
 * }
 * }</pre>
 *
 * <p>The image goes into the store first if it is not there (an image built in memory, read
 * from an archive or a registry); it stays pinned against gc while the union is open.
 *
 * <p>The upper is scratch, deleted at {@link #close}: fsync through the engine succeeds at once
 * and writes nothing (as under the kernel overlay's {@code volatile}); what {@link #commit}
 * stores is made durable by the store.
 */
public final class ImageUnion implements AutoCloseable {
  private final Image image;
  private final UnionFs fs;
  private final Path dir;
  private final Store.Lock pin;

  private ImageUnion(Image image, UnionFs fs, Path dir, Store.Lock pin) {
    this.image = image;
    this.fs = fs;
    this.dir = dir;
    this.pin = pin;
  }

  /** Opens {@code image} read-write over {@code store}, storing the image there first if needed. */
  public static ImageUnion open(Store store, Image image) throws IOException {
    return open(store, image, IdMap.IDENTITY, IdMap.IDENTITY);
  }

  /**
   * As {@link #open(Store, Image)}, the union showing and taking owners through {@code uids}
   * and {@code gids}: the maps of the user namespace of a container that will change it.
   */
  public static ImageUnion open(Store store, Image image, IdMap uids, IdMap gids) throws IOException {
    Store.Lock pin = null;
    Path dir = null;
    try (Store.Lock lock = store.shared()) {
      if (!store.blobs().contains(image.descriptor().digest()) || !indexed(store, image)) {
        new Puller(store, IngestLimits.DEFAULT, e -> { }).pull(Images.source(image, null), null, Platform.current());
      }
      StoredImage stored = StoredImage.load(store, image.descriptor().digest().toString(), image.descriptor());
      pin = store.pin(image.descriptor(), "a build's union of image " + image.descriptor().digest().shortHex());
      dir = Files.createTempDirectory(store.tmp(), "union-");
      Path upper = Files.createDirectory(dir.resolve("upper"));
      Path work = Files.createDirectory(dir.resolve("work"));
      // No fsync: the upper is scratch, deleted at close; a crash loses it whether synced or
      // not, and commit writes the layer to the store durably (kernel overlayfs's volatile).
      UnionOptions options = new UnionOptions(Privileges.ofProcess(), false, true, true).withIds(uids, gids)
          .withFsync(false);
      UnionFs fs = UnionFs.open(StoreLayer.ofImage(store, stored), upper, work, options);
      return new ImageUnion(image, fs, dir, pin);
    } catch (IOException | RuntimeException e) {
      if (dir != null) {
        MoreFiles.deleteRecursively(dir, RecursiveDeleteOption.ALLOW_INSECURE);
      }
      if (pin != null) {
        pin.close();
      }
      throw e;
    }
  }

  private static boolean indexed(Store store, Image image) {
    return image.config().diffIds().stream().allMatch(store.layers()::contains);
  }

  /** The image this union is over. */
  public Image image() {
    return image;
  }

  /** The engine, by node: what a FUSE mount serves and a container changes. */
  public UnionFs engine() {
    return fs;
  }

  /** Writes a file holding {@code content}, making missing directories above it. */
  public void writeFile(String path, byte[] content, FileAttributes attributes) throws IOException {
    LayerBuilder.put(writer(null), path, LayerBuilder.fileNode(content, attributes));
  }

  /** Makes the directory {@code path} and those above it that are missing; an existing one gets {@code attributes}. */
  public void directory(String path, FileAttributes attributes) throws IOException {
    LayerBuilder.put(writer(null), path, new Draft.Node(Draft.Kind.DIRECTORY, attributes, null, null, 0, 0));
  }

  /** Makes a symlink. */
  public void symlink(String path, String target, FileAttributes attributes) throws IOException {
    LayerBuilder.put(writer(null), path, new Draft.Node(Draft.Kind.SYMLINK, attributes, null, target, 0, 0));
  }

  /** Copies a host file or directory in, as {@link LayerBuilder#copy} does into a layer. */
  public void copy(Path source, String dest, CopyOptions options, BuildOptions build) throws IOException {
    UnionWriter w = writer(build);
    try (var held = HostTree.copy(source, ImagePaths.normalize(dest), dest.endsWith("/"), w, options)) {
      // the host directory stays open until every file was read into the union
    }
  }

  /** Where a copy to the image path {@code path} lands: see {@link UnionWriter#resolve}. */
  String resolve(String path) throws IOException {
    return writer(null).resolve(ImagePaths.normalize(path));
  }

  /**
   * A draft of a layer over this image: the directories it needs take their owner and mode from
   * the image where it has them, as a copy-up would.
   */
  Draft draft() {
    UnionWriter w = writer(null);
    return new Draft().over(path -> {
      try {
        return w.directoryAttributes(path);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  /** Copies {@code source} of the image {@code from} is over into {@code sink}, as {@code COPY --from}. */
  static void copyFrom(ImageUnion from, String source, String dest, boolean intoDirectory, CopyOptions options,
      EntrySink sink) throws IOException {
    ImageTree.copy(from.fs, ImagePaths.normalize(source), dest, intoDirectory, sink, options);
  }

  /** Makes the directories of {@code path} that are missing, as {@code mkdir -p}. */
  void makeDirectories(String path) throws IOException {
    writer(null).directories(ImagePaths.normalize(path));
  }

  /** Whether {@code path} is a directory (following no symlink). */
  boolean isDirectory(String path) throws IOException {
    return exists(path) && writer(null).isDirectory(writer(null).node(ImagePaths.normalize(path)));
  }

  /** Deletes {@code path} and what it holds; nothing there is no error. */
  public void delete(String path) throws IOException {
    writer(null).delete(ImagePaths.normalize(path));
  }

  /** Whether something is at {@code path}. */
  public boolean exists(String path) throws IOException {
    try {
      writer(null).node(ImagePaths.normalize(path));
      return true;
    } catch (dev.strata.host.ErrnoException e) {
      if (e.errno() == dev.strata.host.Errno.ENOENT || e.errno() == dev.strata.host.Errno.ENOTDIR) {
        return false;
      }
      throw e;
    }
  }

  /**
   * Reads the whole file at {@code path}, symlinks followed inside the image (never on the
   * host), as a container would read it.
   */
  public byte[] readFile(String path) throws IOException {
    return dev.strata.union.RootFiles.read(fs, "/" + ImagePaths.normalize(path), Integer.MAX_VALUE - 8)
        .orElseThrow(() -> new java.nio.file.NoSuchFileException("the image's /" + ImagePaths.normalize(path)));
  }

  private UnionWriter writer(BuildOptions build) {
    return new UnionWriter(fs, build != null ? build.timestamp() : BuildOptions.defaults().timestamp());
  }

  /**
   * Makes the union's changes a layer, compressed as {@code options} say; every entry gets
   * {@code options}' time when {@code fixTimes}, else keeps its own.
   */
  public Layer changes(BuildOptions options, boolean fixTimes) throws IOException {
    return UnionCommit.layer(fs, options, fixTimes);
  }

  /**
   * Returns the image with the union's changes as a layer on top, its history saying
   * {@code createdBy} at {@code options}' time.
   */
  public Image commit(BuildOptions options, String createdBy) throws IOException {
    return commit(options, createdBy, false);
  }

  /** As {@link #commit(BuildOptions, String)}, every entry at {@code options}' time when {@code fixTimes}. */
  public Image commit(BuildOptions options, String createdBy, boolean fixTimes) throws IOException {
    return UnionCommit.append(image, changes(options, fixTimes), createdBy, options);
  }

  /**
   * As {@link #commit(BuildOptions, String, boolean)}, the layer written straight into
   * {@code store} (its blob, objects and index; {@link StoredLayer}), for a build that stores
   * the image next. Call under the store's shared lock.
   */
  Image commitInto(Store store, BuildOptions options, String createdBy, boolean fixTimes) throws IOException {
    return UnionCommit.append(image, StoredLayer.write(store, image, options, UnionCommit.tar(fs, options, fixTimes)),
        createdBy, options);
  }

  /**
   * Returns the image as one layer: every file the union shows (with its owner, mode, time and
   * xattrs), whiteouts and opaque directories resolved; the config's history one entry.
   */
  public Image flatten(BuildOptions options) throws IOException {
    Draft draft = new Draft();
    ImageTree.copy(fs, "", "", false, draft, CopyOptions.DEFAULTS.withKeepTimes(true));
    Layer layer = LayerBuilder.write(draft, options);
    Image base = Mutations.convert(image, options.format());
    return Mutations.replaceLayers(base, java.util.List.of(layer), java.util.List.of(new dev.strata.image.History(
        options.timestamp().toString(), "strata flatten of " + image.descriptor().digest(), null, null, false)));
  }

  /** Closes the union and deletes its upper; the image is unpinned. */
  @Override
  public void close() throws IOException {
    try {
      fs.close();
    } finally {
      try {
        MoreFiles.deleteRecursively(dir, RecursiveDeleteOption.ALLOW_INSECURE);
      } finally {
        pin.close();
      }
    }
  }
}
