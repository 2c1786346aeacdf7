package dev.strata.inspect;

import dev.strata.digest.Digest;
import dev.strata.digest.DigestMismatchException;
import dev.strata.digest.DigestingInputStream;
import dev.strata.image.Descriptor;
import dev.strata.image.MediaType;
import dev.strata.layer.IngestLimits;
import dev.strata.layer.LayerIndex;
import dev.strata.layer.LayerIngest;
import dev.strata.layer.LayerStreams;
import dev.strata.layer.UnsafeLayerException;
import dev.strata.transfer.ImageSource;
import dev.strata.transfer.MergedLowerFiles;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * Indexes layers by reading their blobs once, as a pull would, but keeping nothing: each
 * file's bytes are only hashed. The blob's digest and the DiffID are checked, so what is
 * reported is what the image holds.
 */
public final class StreamedLayerIndexes implements LayerIndexSource {
  private final Blobs blobs;
  private final IngestLimits limits;

  /** Opens a layer blob: an {@link ImageSource}'s, or a store's. */
  @FunctionalInterface
  public interface Blobs {
    InputStream open(Descriptor layer) throws IOException;
  }

  public StreamedLayerIndexes(Blobs blobs, IngestLimits limits) {
    this.blobs = blobs;
    this.limits = limits;
  }

  /** Streams the layers of {@code source}. */
  public static StreamedLayerIndexes of(ImageSource source, IngestLimits limits) {
    return new StreamedLayerIndexes(source::openBlob, limits);
  }

  @Override
  public LayerIndex index(Descriptor layer, Digest diffId, List<LayerIndex> below) throws IOException {
    LayerIngest.Result result;
    try (DigestingInputStream blob = new DigestingInputStream(blobs.open(layer), layer.digest().algorithm());
        InputStream tar = LayerStreams.decompress(blob, MediaType.layerCompression(layer.mediaType()))) {
      result = LayerIngest.ingest(tar, StreamedLayerIndexes::hash, new MergedLowerFiles(below), limits);
      blob.transferTo(OutputStream.nullOutputStream());
      if (!blob.digest().equals(layer.digest()) || blob.count() != layer.size()) {
        throw new DigestMismatchException("layer blob " + layer.digest() + " has digest " + blob.digest()
            + " and " + blob.count() + " bytes; its descriptor says " + layer.size());
      }
    } catch (UnsafeLayerException e) {
      throw new UnsafeLayerException("layer " + layer.digest() + ": " + e.getMessage(), e);
    }
    if (!result.diffId().equals(diffId)) {
      throw new DigestMismatchException("layer " + layer.digest() + ": uncompressed content has diff id "
          + result.diffId() + " but the config says " + diffId);
    }
    return result.index();
  }

  private static Digest hash(InputStream in, long size) throws IOException {
    DigestingInputStream digesting = DigestingInputStream.sha256(in);
    byte[] buffer = new byte[1 << 16];
    long remaining = size;
    while (remaining > 0) {
      int n = digesting.read(buffer, 0, (int) Math.min(buffer.length, remaining));
      if (n < 0) {
        throw new EOFException("content ended after " + (size - remaining) + " of " + size + " bytes");
      }
      remaining -= n;
    }
    return digesting.digest();
  }
}
