package dev.strata.transfer;

import com.google.common.collect.ImmutableList;
import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.image.Image;
import dev.strata.image.ImageConfig;
import dev.strata.image.Layer;
import dev.strata.image.Manifest;
import dev.strata.image.MediaType;
import dev.strata.image.Platform;
import dev.strata.image.json.ImageJson;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Makes {@link Image} values: from a manifest's and a config's bytes and a way to open blobs,
 * from an {@link ImageSource}, from the store; and turns an image back into a source, for a
 * pull into a store. Every image is checked as a pull checks one: a manifest Strata reads, a
 * config of an image, as many diff ids as layers.
 */
public final class Images {
  private Images() {}

  /** Opens the blob a descriptor names. */
  @FunctionalInterface
  public interface Blobs {
    InputStream open(Descriptor blob) throws IOException;
  }

  /**
   * Returns the image of manifest {@code rawManifest} and config {@code rawConfig} (the blob the
   * manifest's config descriptor names), its layers opened through {@code blobs}.
   */
  public static Image of(byte[] rawManifest, byte[] rawConfig, Blobs blobs) throws IOException {
    Manifest manifest = ImageJson.parseManifest(rawManifest);
    if (!MediaType.isConfig(manifest.config().mediaType())) {
      throw new IOException("unsupported config media type " + manifest.config().mediaType()
          + " (this is not a container image)");
    }
    Digest configDigest = Digest.sha256(rawConfig);
    if (!configDigest.equals(manifest.config().digest()) || rawConfig.length != manifest.config().size()) {
      throw new dev.strata.digest.DigestMismatchException("config " + configDigest + " (" + rawConfig.length
          + " bytes) is not the config the manifest names, " + manifest.config().digest() + " ("
          + manifest.config().size() + " bytes)");
    }
    ImageConfig config = ImageJson.parseConfig(rawConfig);
    if (config.diffIds().size() != manifest.layers().size()) {
      throw new IOException("the config lists " + config.diffIds().size() + " diff_ids but the manifest has "
          + manifest.layers().size() + " layers");
    }
    ImmutableList.Builder<Layer> layers = ImmutableList.builder();
    for (int i = 0; i < manifest.layers().size(); i++) {
      Descriptor d = manifest.layers().get(i);
      layers.add(Layer.of(d, config.diffIds().get(i), () -> blobs.open(d)));
    }
    Descriptor descriptor = Descriptor.of(manifest.mediaType(), Digest.sha256(rawManifest), rawManifest.length);
    return new ParsedImage(descriptor, rawManifest.clone(), manifest, rawConfig.clone(), config, layers.build());
  }

  /**
   * Reads the image {@code source} holds for {@code platform}: its manifest and config now, its
   * layers when they are opened, so the source must stay open while the image is used.
   */
  public static Image read(ImageSource source, Platform platform) throws IOException {
    ImageSource.SourceManifest sm = source.manifest(platform);
    Manifest manifest = ImageJson.parseManifest(sm.bytes());
    byte[] config;
    try (InputStream in = source.openBlob(manifest.config())) {
      config = in.readNBytes((int) Math.min(manifest.config().size() + 1, 64 << 20));
    }
    return of(sm.bytes(), config, source::openBlob);
  }

  /** Returns {@code image} of {@code store}, its layers read from the store's blobs. */
  public static Image of(Store store, StoredImage image) throws IOException {
    byte[] manifest = store.blobs().readAllBytes(image.descriptor().digest());
    return of(manifest, image.configBytes(), d -> store.blobs().open(d.digest()));
  }

  /**
   * Returns a source that serves {@code image}, named {@code name} when pulled without one: the
   * way an image made in memory goes into a store, verified and indexed as any pull.
   */
  public static ImageSource source(Image image, String name) {
    return new ImageSource() {
      @Override
      public SourceManifest manifest(Platform platform) {
        return new SourceManifest(image.descriptor(), image.rawManifest());
      }

      @Override
      public InputStream openBlob(Descriptor d) throws IOException {
        if (d.digest().equals(image.manifest().config().digest())) {
          return new ByteArrayInputStream(image.rawConfig());
        }
        for (Layer layer : image.layers()) {
          if (layer.descriptor().digest().equals(d.digest())) {
            return layer.open();
          }
        }
        throw new java.nio.file.NoSuchFileException("blob " + d.digest() + " is not part of image " + name);
      }

      @Override
      public String suggestedName() {
        return name;
      }

      @Override
      public void close() {}
    };
  }

  /** An image whose parts are parsed and checked; the raw bytes are kept as given. */
  private record ParsedImage(Descriptor descriptor, byte[] manifestBytes, Manifest manifest, byte[] configBytes,
      ImageConfig config, List<Layer> layers) implements Image {
    @Override
    public byte[] rawManifest() {
      return manifestBytes.clone();
    }

    @Override
    public byte[] rawConfig() {
      return configBytes.clone();
    }

    @Override
    public String toString() {
      return "image " + descriptor.digest();
    }
  }
}
