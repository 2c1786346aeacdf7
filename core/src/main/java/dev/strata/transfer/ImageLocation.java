package dev.strata.transfer;

import dev.strata.image.Descriptor;
import dev.strata.image.Image;
import dev.strata.image.Platform;
import dev.strata.layout.Store;
import dev.strata.registry.RegistryOptions;
import java.io.IOException;

/**
 * A place an image lives, to read it from or write it to: an image of the store by name, an
 * OCI layout directory ({@code oci:DIR[:REF]}), an OCI archive ({@code oci-archive:FILE[:REF]}),
 * a {@code docker save} archive ({@code docker-archive:FILE[:REPO:TAG]}) or a registry
 * ({@code docker://HOST/REPO:TAG}, or a bare reference). Every kind reads and writes the same
 * {@link Image}, so a program that copies, builds or converts images never asks which kind it
 * has.
 *
 * <p>Close it when done: reading an archive or a registry stages files in the store's tmp/,
 * which an image read from here keeps using until then.
 */
public interface ImageLocation extends AutoCloseable {
  /**
   * Returns the place {@code text} names ({@code docker://}, a bare reference, {@code oci:},
   * {@code oci-archive:} or {@code docker-archive:}), staging what is read from it under
   * {@code store}'s tmp/; a registry is reached with the default options. Nothing is opened
   * until the first read or write.
   *
   * @throws IllegalArgumentException if {@code text} names no place, saying which forms do
   */
  static ImageLocation parse(String text, Store store) {
    return parse(text, store, RegistryOptions.DEFAULT, TransferProgress.NONE);
  }

  /**
   * Returns the place {@code text} names; a registry is reached with {@code options}, and
   * {@code progress} hears the blobs moving to or from it.
   */
  static ImageLocation parse(String text, Store store, RegistryOptions options, TransferProgress progress) {
    return Locations.of(Transports.parse(text), store, options, progress, null);
  }

  /** Returns the image of {@code store} named {@code name} (a tag, or a manifest digest to read). */
  static ImageLocation inStore(Store store, String name) {
    return new StoreLocation(store, name, event -> { });
  }

  /** Reads the image for the platform of this machine. */
  default Image read() throws IOException {
    return read(Platform.current());
  }

  /** Reads the image, choosing {@code platform}'s manifest when the location holds an index. */
  Image read(Platform platform) throws IOException;

  /**
   * Writes {@code image} here: blobs the place already has are not written again, and the name
   * (tag, ref) is set last, so a failed write leaves no name pointing at a partial image.
   * Returns the descriptor of the manifest written.
   */
  Descriptor write(Image image) throws IOException;

  @Override
  void close() throws IOException;
}
