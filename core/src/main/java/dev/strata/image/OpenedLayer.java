package dev.strata.image;

import static com.google.common.base.Preconditions.checkNotNull;

import dev.strata.digest.Digest;
import java.io.IOException;
import java.io.InputStream;

/** A layer whose bytes a function opens: the blob of a store, a directory, a file or a registry. */
record OpenedLayer(Descriptor descriptor, Digest diffId, Layer.Opener opener) implements Layer {
  OpenedLayer {
    checkNotNull(descriptor, "layer descriptor");
    checkNotNull(diffId, "layer diff id");
    checkNotNull(opener, "layer opener");
  }

  @Override
  public InputStream open() throws IOException {
    return opener.open();
  }

  @Override
  public String toString() {
    return "layer " + descriptor.digest() + " (diff id " + diffId + ")";
  }
}
