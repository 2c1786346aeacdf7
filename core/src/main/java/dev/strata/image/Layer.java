package dev.strata.image;

import dev.strata.digest.Digest;
import java.io.IOException;
import java.io.InputStream;

/**
 * A layer of an image: its blob as the manifest lists it (media type, digest, size: compressed
 * or not), and its diff id, the digest of the uncompressed tar that the config lists.
 */
public interface Layer {
  /** The blob's descriptor, as the manifest lists it. */
  Descriptor descriptor();

  /** The digest of the uncompressed tar stream. */
  Digest diffId();

  /** Opens the blob's bytes, compressed as {@link #descriptor()}'s media type says. */
  InputStream open() throws IOException;

  /** Opens a layer's blob. */
  @FunctionalInterface
  interface Opener {
    InputStream open() throws IOException;
  }

  /** Returns a layer of {@code descriptor} and {@code diffId} whose bytes {@code opener} opens. */
  static Layer of(Descriptor descriptor, Digest diffId, Opener opener) {
    return new OpenedLayer(descriptor, diffId, opener);
  }
}
