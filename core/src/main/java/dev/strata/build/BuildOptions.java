package dev.strata.build;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import dev.strata.image.Compression;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * How images are built: the compression of new layers and its level, the time written into
 * configs, history and files that name none, the image format, and where layer files are made.
 *
 * <p>Reproducible by default: the time is {@code SOURCE_DATE_EPOCH} when the environment sets
 * it (the convention of reproducible-builds.org), else the Unix epoch; the wall clock is read
 * only when asked ({@link #withCurrentTime()}). The same inputs and options give the same
 * digests on any machine.
 *
 * @param compression how new layers are compressed
 * @param level the compression level; 0: the compression's default (gzip 6, zstd 3)
 * @param timestamp the time of configs, history and files that name none
 * @param format the manifest format of built images
 * @param scratch the directory new layer files go to; null: a temporary directory of the JVM's
 */
public record BuildOptions(Compression compression, int level, Instant timestamp, Format format, Path scratch) {
  /** The manifest and media types built images get. */
  public enum Format {
    /** OCI image-spec v1: what buildah and podman write by default; the only one that has zstd. */
    OCI,
    /** Docker's image manifest v2, schema 2: for registries and tools that know no other. */
    DOCKER
  }

  public BuildOptions {
    checkNotNull(compression, "compression");
    checkNotNull(timestamp, "timestamp");
    checkNotNull(format, "format");
    checkArgument(level >= 0, "compression level %s is negative", level);
    checkArgument(!(format == Format.DOCKER && compression == Compression.ZSTD),
        "Docker's image format has no zstd layers; build OCI images for zstd");
  }

  /** gzip at its default level, the time of {@code SOURCE_DATE_EPOCH} or the epoch, OCI. */
  public static BuildOptions defaults() {
    return new BuildOptions(Compression.GZIP, 0, sourceDateEpoch(System.getenv()), Format.OCI, null);
  }

  /**
   * Returns the time {@code SOURCE_DATE_EPOCH} of {@code env} says, or the epoch when unset;
   * fails on a value that is not a count of seconds, rather than build with another time.
   */
  static Instant sourceDateEpoch(Map<String, String> env) {
    String value = env.get("SOURCE_DATE_EPOCH");
    if (value == null || value.isEmpty()) {
      return Instant.EPOCH;
    }
    try {
      return Instant.ofEpochSecond(Long.parseLong(value.trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("SOURCE_DATE_EPOCH='" + value + "' is not a number of seconds");
    }
  }

  public BuildOptions withCompression(Compression c) {
    return new BuildOptions(c, 0, timestamp, format, scratch);
  }

  public BuildOptions withLevel(int l) {
    return new BuildOptions(compression, l, timestamp, format, scratch);
  }

  public BuildOptions withTimestamp(Instant t) {
    return new BuildOptions(compression, level, t, format, scratch);
  }

  /** Returns these options with the time of now, to the second: builds are then not reproducible. */
  public BuildOptions withCurrentTime() {
    return withTimestamp(Instant.ofEpochSecond(Instant.now().getEpochSecond()));
  }

  public BuildOptions withFormat(Format f) {
    return new BuildOptions(compression, level, timestamp, f, scratch);
  }

  public BuildOptions withScratch(Path dir) {
    return new BuildOptions(compression, level, timestamp, format, dir);
  }
}
