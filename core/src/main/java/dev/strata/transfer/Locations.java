package dev.strata.transfer;

import dev.strata.layout.Store;
import dev.strata.registry.RegistryClient;
import dev.strata.registry.RegistryOptions;
import java.util.concurrent.Future;

/**
 * Makes the kind of place a parsed transport reference names: the one switch from a
 * transport's name to the code that reads and writes it, for pulls, pushes, inspection and
 * {@link ImageLocation#parse} alike.
 */
final class Locations {
  private Locations() {}

  /**
   * Returns the place {@code where} names, staging what it reads under {@code store}'s tmp/.
   *
   * @param options how a registry is reached
   * @param progress hears the blobs a registry sends or receives
   * @param connecting a connection to the registry already being made
   *     ({@link Pusher#connectInBackground}), or null to connect at first use
   */
  static SourcedLocation of(Transports.Location where, Store store, RegistryOptions options,
      TransferProgress progress, Future<RegistryClient> connecting) {
    return switch (where.transport()) {
      case "docker" -> new RegistryLocation(where, store, options, progress, connecting);
      case "oci" -> new OciLayoutLocation(where, store);
      case "oci-archive" -> new OciArchiveLocation(where, store);
      case "docker-archive" -> new DockerArchiveLocation(where, store);
      default -> throw new IllegalArgumentException("no transport '" + where.transport() + "' in " + where);
    };
  }

  /** Returns the name of {@code where}'s file or directory without a .tar: a pulled image's default name. */
  static String baseName(Transports.Location where) {
    String name = where.path().getFileName().toString();
    return name.endsWith(".tar") ? name.substring(0, name.length() - 4) : name;
  }
}
