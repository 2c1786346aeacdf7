package dev.strata.image;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableMap;
import dev.strata.digest.Digest;

/** Points at content: its media type, digest and size, with optional annotations and platform. */
public record Descriptor(
    String mediaType, Digest digest, long size, ImmutableMap<String, String> annotations, Platform platform) {
  /** The annotation that names a tag in an OCI layout's index.json. */
  public static final String REF_NAME = "org.opencontainers.image.ref.name";

  public Descriptor {
    checkNotNull(digest, "descriptor digest");
    checkArgument(size >= 0, "descriptor size is negative: %s", size);
    annotations = annotations == null ? ImmutableMap.of() : annotations;
  }

  /** Returns a descriptor without annotations or platform. */
  public static Descriptor of(String mediaType, Digest digest, long size) {
    return new Descriptor(mediaType, digest, size, ImmutableMap.of(), null);
  }

  /** Returns this descriptor with only {@code annotations}. */
  public Descriptor withAnnotations(ImmutableMap<String, String> annotations) {
    return new Descriptor(mediaType, digest, size, annotations, platform);
  }

  /** Returns the tag this descriptor carries in an index.json, or null. */
  public String refName() {
    return annotations.get(REF_NAME);
  }
}
