package dev.strata.transfer;

import dev.strata.image.Descriptor;
import dev.strata.image.Platform;
import java.io.IOException;
import java.io.InputStream;

/** A place an image can be read from: its manifest, then blobs by descriptor. */
public interface ImageSource extends AutoCloseable {
  /** A manifest as the source holds it, byte for byte. */
  record SourceManifest(Descriptor descriptor, byte[] bytes) {}

  /** Returns the image manifest, choosing {@code platform} if the reference names an index. */
  SourceManifest manifest(Platform platform) throws IOException;

  /** Opens a blob; the caller verifies digest and size. */
  InputStream openBlob(Descriptor descriptor) throws IOException;

  /**
   * Says which layers will be opened, in order, so that a source that can fetch ahead (a
   * registry, several downloads at once) starts now. Sources that read locally ignore it.
   */
  default void prefetch(java.util.List<Descriptor> layers) throws IOException {}

  /** Returns the name an image pulled from here gets when the user names none. */
  String suggestedName();

  @Override
  void close() throws IOException;
}
