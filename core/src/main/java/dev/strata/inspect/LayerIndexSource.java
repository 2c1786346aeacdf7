package dev.strata.inspect;

import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.layer.LayerIndex;
import java.io.IOException;
import java.util.List;

/**
 * Where the index of an inspected layer comes from: a store that has it already, or a source
 * whose blob is streamed through the layer reader without storing anything.
 */
public interface LayerIndexSource {
  /**
   * Returns the index of {@code layer}, whose uncompressed digest the config says is
   * {@code diffId}; {@code below} are the indexes of the layers under it, bottom first (a hard
   * link may name a file they hold).
   */
  LayerIndex index(Descriptor layer, Digest diffId, List<LayerIndex> below) throws IOException;
}
