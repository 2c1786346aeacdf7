package dev.strata.image;

import java.util.List;

/**
 * An image: a manifest, the config it points at, and the layers it lists, bottom first. Where
 * the image lives (the store, an OCI layout, an archive, a registry, or memory while a builder
 * makes it) is not its business: every place images live reads and writes this one kind.
 *
 * <p>The raw bytes are the truth and the parsed values are views of them: a manifest's digest is
 * the digest of {@link #rawManifest()}, so an image passed along unchanged keeps its digest.
 */
public interface Image {
  /** The manifest's descriptor: its media type, and the digest and size of {@link #rawManifest()}. */
  Descriptor descriptor();

  /** The manifest, byte for byte. */
  byte[] rawManifest();

  /** The manifest, parsed. */
  Manifest manifest();

  /** The config blob, byte for byte. */
  byte[] rawConfig();

  /** The config, parsed. */
  ImageConfig config();

  /** The layers, bottom first: the manifest's layer descriptors with the config's diff ids. */
  List<Layer> layers();
}
