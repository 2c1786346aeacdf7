package dev.strata.image;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import java.util.Optional;

/** An image index (manifest list): manifests for several platforms, or the tags of a layout. */
public record ImageIndex(
    String mediaType, ImmutableList<Descriptor> manifests, ImmutableMap<String, String> annotations) {
  public ImageIndex {
    manifests = manifests == null ? ImmutableList.of() : manifests;
    annotations = annotations == null ? ImmutableMap.of() : annotations;
  }

  /** Returns the manifest for {@code platform}, the first that matches. */
  public Optional<Descriptor> forPlatform(Platform platform) {
    return manifests.stream()
        .filter(d -> d.platform() != null && platform.matches(d.platform()))
        .findFirst();
  }
}
