package dev.strata.image;

import com.google.common.collect.ImmutableSet;

/** The media types Strata reads and writes, OCI and their Docker v2 equivalents. */
public final class MediaType {
  private MediaType() {}

  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
  public static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
  public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
  public static final String OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
  public static final String OCI_LAYER_ND = "application/vnd.oci.image.layer.nondistributable.v1.tar";
  public static final String OCI_LAYER_ND_GZIP = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
  public static final String OCI_LAYER_ND_ZSTD = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
  public static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";

  public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
  public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
  public static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";
  public static final String DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
  public static final String DOCKER_LAYER_FOREIGN_GZIP = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

  private static final ImmutableSet<String> MANIFESTS = ImmutableSet.of(OCI_MANIFEST, DOCKER_MANIFEST);
  private static final ImmutableSet<String> INDEXES = ImmutableSet.of(OCI_INDEX, DOCKER_MANIFEST_LIST);
  private static final ImmutableSet<String> CONFIGS = ImmutableSet.of(OCI_CONFIG, DOCKER_CONFIG);

  /** Returns whether {@code type} names an image manifest. */
  public static boolean isManifest(String type) {
    return MANIFESTS.contains(type);
  }

  /** Returns whether {@code type} names an index (manifest list). */
  public static boolean isIndex(String type) {
    return INDEXES.contains(type);
  }

  /** Returns whether {@code type} names an image config. */
  public static boolean isConfig(String type) {
    return CONFIGS.contains(type);
  }

  /** Returns how a layer of media type {@code type} is compressed; fails for non-layer types. */
  public static Compression layerCompression(String type) {
    if (type == null) {
      throw new IllegalArgumentException("layer descriptor has no mediaType");
    }
    return switch (type) {
      case OCI_LAYER, OCI_LAYER_ND, DOCKER_LAYER -> Compression.NONE;
      case OCI_LAYER_GZIP, OCI_LAYER_ND_GZIP, DOCKER_LAYER_GZIP, DOCKER_LAYER_FOREIGN_GZIP -> Compression.GZIP;
      case OCI_LAYER_ZSTD, OCI_LAYER_ND_ZSTD -> Compression.ZSTD;
      default -> throw new IllegalArgumentException("unknown layer media type: " + type);
    };
  }

  /** Returns whether {@code type} is a layer media type Strata can read. */
  public static boolean isLayer(String type) {
    try {
      layerCompression(type);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Returns the OCI layer media type for {@code compression}. */
  public static String ociLayer(Compression compression) {
    return switch (compression) {
      case NONE -> OCI_LAYER;
      case GZIP -> OCI_LAYER_GZIP;
      case ZSTD -> OCI_LAYER_ZSTD;
    };
  }
}
