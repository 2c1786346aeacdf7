package dev.strata.layer;

import java.io.IOException;

/**
 * The merged view of the layers below the one being ingested, as far as hard links need it: a
 * hard link may name a file that a lower layer holds.
 */
@FunctionalInterface
public interface LowerFiles {
  /** No layers below. */
  LowerFiles NONE = path -> null;

  /** Returns the regular file at {@code path} in the layers below, or null. */
  LayerEntry regularFile(String path) throws IOException;
}
