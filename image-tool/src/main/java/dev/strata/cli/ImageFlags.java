package dev.strata.cli;

import dev.strata.layout.Store;
import java.io.IOException;
import picocli.CommandLine.Mixin;

/**
 * The flags of a command that reads an image from the store or from any transport: which image
 * of an index ({@code --platform}) and how to reach a registry (pull's flags).
 */
final class ImageFlags {
  @Mixin PlatformOption platform;
  @Mixin RegistryFlags registry;

  /** Opens {@code text} for inspection; {@code NAME@N} is taken only if {@code layers}. */
  InspectTarget open(Store store, String text, boolean layers) throws IOException {
    return InspectTarget.open(store, text, platform.get(), registry.options(), layers);
  }
}
