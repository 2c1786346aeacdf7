package dev.strata.registry;

import java.nio.file.Path;

/**
 * How to reach registries, as skopeo's flags say it: explicit credentials (null: look in the
 * Docker config files), whether to verify TLS (false also allows plain http), and a directory
 * of extra CA certificates.
 */
public record RegistryOptions(Credentials credentials, boolean tlsVerify, Path certDir) {
  /** Verified TLS with the system's trust, credentials from the Docker config files. */
  public static final RegistryOptions DEFAULT = new RegistryOptions(null, true, null);
}
