package dev.strata.transfer;

import dev.strata.layout.Store;
import dev.strata.registry.Reference;
import dev.strata.registry.RegistryOptions;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Parses the transport syntax skopeo uses, {@code TRANSPORT:DETAILS}, into locations:
 * {@code docker://HOST/REPO:TAG} (or a bare reference), {@code oci:DIR[:REF]},
 * {@code oci-archive:FILE[:REF]}, {@code docker-archive:FILE[:REPO:TAG]}. What each kind of
 * place is, and how it is read and written, is {@link ImageLocation}'s business.
 */
public final class Transports {
  private Transports() {}

  /** A parsed transport reference; a registry's has no path and its reference as ref. */
  public record Location(String transport, Path path, String ref) {
    @Override
    public String toString() {
      if (isRegistry()) {
        return "docker://" + ref;
      }
      return transport + ":" + path + (ref == null ? "" : ":" + ref);
    }

    /** Returns the registry reference of a docker:// location. */
    public Reference reference() {
      return Reference.parse(ref);
    }

    /** Returns whether this names a registry (docker://) rather than a file or directory. */
    public boolean isRegistry() {
      return transport.equals("docker");
    }

    /**
     * Returns this location naming {@code name} if it names no image: a push of image NAME to
     * {@code oci:DIR} tags it NAME there. A registry's reference always names one.
     */
    Location orRef(String name) {
      return ref != null || isRegistry() ? this : new Location(transport, path, name);
    }
  }

  /** Parses {@code text}; throws IllegalArgumentException naming the accepted forms. */
  public static Location parse(String text) {
    int colon = text.indexOf(':');
    String transport = colon < 0 ? "" : text.substring(0, colon);
    switch (transport) {
      case "oci", "oci-archive", "docker-archive" -> { }
      default -> {
        return registry(text);
      }
    }
    String rest = text.substring(colon + 1);
    if (rest.isEmpty()) {
      throw new IllegalArgumentException("'" + text + "' names no path");
    }
    int refColon = rest.indexOf(':');
    String path = refColon < 0 ? rest : rest.substring(0, refColon);
    String ref = refColon < 0 ? null : rest.substring(refColon + 1);
    if (ref != null && ref.isEmpty()) {
      ref = null;
    }
    return new Location(transport, Path.of(path).toAbsolutePath().normalize(), ref);
  }

  /** {@code docker://REF}, or a bare REF, which means the same, as in podman. */
  private static Location registry(String text) {
    boolean explicit = text.startsWith("docker://");
    if (!explicit && (text.contains("://") || text.startsWith("/") || text.startsWith("."))) {
      throw new IllegalArgumentException("unknown transport in '" + text + "': expected docker://HOST/REPO[:TAG|@DIGEST], "
          + "oci:DIR[:REF], oci-archive:FILE[:REF] or docker-archive:FILE[:REPO:TAG]");
    }
    Reference ref = Reference.parse(text);
    return new Location("docker", null, ref.toString());
  }

  /** Opens {@code location} as a source, staging archives under {@code store}'s tmp/. */
  public static ImageSource open(Location location, Store store) throws IOException {
    return open(location, store, RegistryOptions.DEFAULT, TransferProgress.NONE);
  }

  /** Opens {@code location} as a source; a registry is reached with {@code options}. */
  public static ImageSource open(Location location, Store store, RegistryOptions options, TransferProgress progress)
      throws IOException {
    return Locations.of(location, store, options, progress, null).openSource();
  }
}
