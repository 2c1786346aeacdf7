package dev.strata.image;

/** How a layer's tar stream is compressed. */
public enum Compression {
  NONE,
  GZIP,
  ZSTD;

  /** Returns the lowercase name used in messages and media types. */
  public String label() {
    return this == NONE ? "uncompressed tar" : name().toLowerCase(java.util.Locale.ROOT);
  }
}
