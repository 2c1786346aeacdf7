package dev.strata.image;

import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;

/** An image manifest: one config and the layers, bottom first. */
public record Manifest(
    String mediaType, Descriptor config, ImmutableList<Descriptor> layers, ImmutableMap<String, String> annotations) {
  public Manifest {
    checkNotNull(config, "manifest config");
    layers = layers == null ? ImmutableList.of() : layers;
    annotations = annotations == null ? ImmutableMap.of() : annotations;
  }
}
