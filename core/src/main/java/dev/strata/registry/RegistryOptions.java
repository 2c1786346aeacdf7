package dev.strata.registry;

import java.nio.file.Path;

/**
 * How to reach registries, as skopeo's flags say it: explicit credentials (null: look in the
 * Docker config files), whether to verify TLS (false also allows plain http), and a directory
 * of extra CA certificates; and how to upload: {@code chunkSize} 0 sends each blob in one
 * request, a positive size sends blobs bigger than it in PATCHed chunks of that size.
 */
public record RegistryOptions(Credentials credentials, boolean tlsVerify, Path certDir, long chunkSize) {
  /** Verified TLS with the system's trust, credentials from the Docker config files. */
  public static final RegistryOptions DEFAULT = new RegistryOptions(null, true, null);

  public RegistryOptions {
    if (chunkSize < 0) {
      throw new IllegalArgumentException("negative chunk size " + chunkSize);
    }
  }

  /** These options with uploads in chunks of {@code size} (0: none). */
  public RegistryOptions withChunkSize(long size) {
    return new RegistryOptions(credentials, tlsVerify, certDir, size);
  }

  /** Options that upload each blob in one request. */
  public RegistryOptions(Credentials credentials, boolean tlsVerify, Path certDir) {
    this(credentials, tlsVerify, certDir, 0);
  }
}
