package dev.strata.transfer;

import dev.strata.image.Descriptor;
import dev.strata.image.Image;
import dev.strata.layout.Store;
import dev.strata.registry.Reference;
import dev.strata.registry.RegistryClient;
import dev.strata.registry.RegistryOptions;
import java.io.IOException;
import java.util.concurrent.Future;

/**
 * An image in a registry, {@code docker://HOST/REPO[:TAG|@DIGEST]}: read through
 * {@link RegistrySource}, written by {@link RegistryPusher}. The store takes part in both: it
 * stages downloads, remembers which repository each blob came from (so that a push to another
 * repository of the registry mounts it from there) and holds blobs a push sends from their files.
 */
final class RegistryLocation extends SourcedLocation {
  private final Reference ref;
  private final RegistryOptions options;
  private final TransferProgress progress;
  private final Future<RegistryClient> connecting;
  private RegistryClient client;

  RegistryLocation(Transports.Location where, Store store, RegistryOptions options, TransferProgress progress,
      Future<RegistryClient> connecting) {
    super(where, store);
    this.ref = where.reference();
    this.options = options;
    this.progress = progress;
    this.connecting = connecting;
  }

  /** The connection: the one being made in the background if there is one, else made now, once. */
  private synchronized RegistryClient client() throws IOException {
    if (client == null) {
      client = connecting != null ? Pusher.await(connecting) : RegistryClient.connect(ref.host(), options);
    }
    return client;
  }

  @Override
  ImageSource openSource() throws IOException {
    return new RegistrySource(ref, client(), store, Staging.create(store.tmp(), "registry-"), progress);
  }

  @Override
  public Descriptor write(Image image) throws IOException {
    // Shared, so that gc keeps the blobs a push sends from the store's files and the origins it reads.
    try (Store.Lock lock = store.shared()) {
      return RegistryPusher.push(image, ref, client(), store, progress);
    }
  }
}
