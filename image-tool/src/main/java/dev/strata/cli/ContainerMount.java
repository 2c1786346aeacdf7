package dev.strata.cli;

import dev.strata.fuse.FuseMount;
import dev.strata.fuse.MountOptions;
import dev.strata.host.Privileges;
import dev.strata.layer.IngestLimits;
import dev.strata.layout.Containers;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import dev.strata.transfer.Puller;
import dev.strata.union.IdMap;
import dev.strata.union.StoreLayer;
import dev.strata.union.UnionFs;
import dev.strata.union.UnionOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * An image of the store as a union: its layers read in place from the store, and the upper of
 * a container (none when read-only). Holds what must stay held while the union is open: a pin
 * on the image (gc keeps it and leaves its objects where they are, without waiting for the
 * union to close) and the container (no second mount or commit). The store lock is held only
 * while the image is looked up, indexed and pinned.
 */
final class ContainerMount implements AutoCloseable {
  final StoredImage image;
  final Containers.Container container;
  final UnionFs fs;
  private final Store.Lock pin;
  private final Containers.InUse inUse;

  private ContainerMount(StoredImage image, Containers.Container container, UnionFs fs, Store.Lock pin,
      Containers.InUse inUse) {
    this.image = image;
    this.container = container;
    this.fs = fs;
    this.pin = pin;
    this.inUse = inUse;
  }

  /**
   * Opens the union of container {@code name} (made from {@code imageName} if new), or of the
   * image alone when {@code name} is null. {@code readOnly}: no change reaches the upper. Layers
   * the store has no index of yet are indexed first, each said on {@code err}.
   */
  static ContainerMount open(Store store, String imageName, String name, boolean readOnly, PrintWriter err)
      throws IOException {
    return open(store, imageName, name, readOnly, err, IdMap.IDENTITY, IdMap.IDENTITY);
  }

  /**
   * As {@link #open(Store, String, String, boolean, PrintWriter)}, the union showing and taking
   * owners through {@code uids} and {@code gids}: a container's user namespace maps.
   */
  static ContainerMount open(Store store, String imageName, String name, boolean readOnly, PrintWriter err,
      IdMap uids, IdMap gids) throws IOException {
    Containers.InUse inUse = null;
    Store.Lock pin = null;
    try (Store.Lock lock = store.shared()) {
      Containers containers = new Containers(store);
      StoredImage image;
      Containers.Container c = null;
      if (name != null && imageName == null) {
        c = containers.get(name).orElseThrow(() -> new IllegalArgumentException("no container named '" + name + "'"));
        image = StoredImage.load(store, c.image(), c.manifest());
      } else {
        image = StoredImage.load(store, imageName);
        if (name != null) {
          c = containers.getOrCreate(name, image);
        }
      }
      if (c != null) {
        inUse = containers.use(c);
      }
      pin = store.pin(image.descriptor(), (c != null ? "container " + c.name() + " of " : "") + "image " + image.name()
          + (readOnly ? ", read-only" : ""));
      indexStored(store, image, err);
      // Inside the namespace of a run without root, the upper stays in the caller's format.
      Privileges privileges = dev.strata.cli.sandbox.OwnUserNamespace.inside() ? Privileges.UNPRIVILEGED
          : Privileges.ofProcess();
      UnionOptions options = new UnionOptions(privileges, readOnly, true, true).withIds(uids, gids);
      UnionFs fs = UnionFs.open(StoreLayer.ofImage(store, image), c == null ? null : c.upper(),
          c == null ? null : c.work(), options);
      return new ContainerMount(image, c, fs, pin, inUse);
    } catch (IOException | RuntimeException e) {
      if (pin != null) {
        pin.close();
      }
      if (inUse != null) {
        inUse.close();
      }
      throw e;
    }
  }

  /**
   * Indexes the layers of an image that another tool wrote into the store (skopeo, umoci: the
   * store is an OCI layout), saying so on {@code err}, so that such an image mounts like a
   * pulled one.
   */
  private static void indexStored(Store store, StoredImage image, PrintWriter err) throws IOException {
    new Puller(store, IngestLimits.DEFAULT, e -> err.printf("indexed layer %d/%d %s (%d entries)%n",
        e.index() + 1, e.count(), e.layer().digest(), e.result().entries().size())).indexStored(image);
  }

  /**
   * The mount options of a container's mount: strata-overlay's, which are fuse-overlayfs's. A
   * container root needs what an engine's has: as root, suid, so that a runtime given this
   * mount as a root (runc, crun, chroot, ...) runs the image's setuid programs (su, passwd,
   * ping) for the container's other users with their owner's rights (unless no_new_privs is
   * set, as `strata run` sets it unless asked not to); and nodev, as engines mount image
   * layers, since a container's /dev is a tmpfs of its own, not the image's.
   */
  MountOptions mountOptions(boolean readOnly) {
    String source = "strata:" + (container != null ? container.name() : image.name());
    return MountOptions.defaults(source).withReadOnly(readOnly);
  }

  /** Serves the union at {@code mountPoint} until it is unmounted. */
  void serve(Path mountPoint, boolean readOnly) throws IOException, InterruptedException {
    FuseMount.serve(fs, mountPoint, mountOptions(readOnly));
  }

  @Override
  public void close() throws IOException {
    try {
      fs.close();
    } finally {
      try {
        if (inUse != null) {
          inUse.close();
        }
      } finally {
        pin.close();
      }
    }
  }
}
