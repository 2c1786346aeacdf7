package dev.strata.transfer;

import dev.strata.digest.Digest;
import dev.strata.digest.DigestMismatchException;
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

  /** The most a small blob (a config) may declare: a bigger one is refused before it is read. */
  long MAX_SMALL_BLOB = 64 << 20;

  /**
   * Reads a small blob (a config) whole and checks its size and sha256 digest against
   * {@code d}; {@code what} names it in errors. One declaring more than
   * {@link #MAX_SMALL_BLOB} is refused unread.
   */
  default byte[] readSmall(Descriptor d, String what) throws IOException {
    if (d.size() > MAX_SMALL_BLOB) {
      throw new IOException(what + " " + d.digest() + " declares " + d.size() + " bytes; refusing more than 64 MiB");
    }
    try (InputStream in = openBlob(d)) {
      byte[] bytes = in.readNBytes((int) d.size() + 1);
      if (bytes.length != d.size()) {
        throw DigestMismatchException.of("size of " + what + " " + d.digest(), d.size(),
            bytes.length + (bytes.length > d.size() ? "+" : ""));
      }
      Digest actual = Digest.sha256(bytes);
      if (d.digest().algorithm().equals(Digest.SHA256) && !actual.equals(d.digest())) {
        throw DigestMismatchException.of(what + " digest", d.digest(), actual);
      }
      return bytes;
    }
  }

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
