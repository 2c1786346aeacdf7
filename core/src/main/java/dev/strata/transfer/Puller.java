package dev.strata.transfer;

import com.google.common.collect.ImmutableList;
import dev.strata.blob.ObjectBatch;
import dev.strata.blob.PendingBlob;
import dev.strata.digest.Digest;
import dev.strata.digest.DigestMismatchException;
import dev.strata.digest.Streams;
import dev.strata.image.Descriptor;
import dev.strata.image.ImageConfig;
import dev.strata.image.Manifest;
import dev.strata.image.MediaType;
import dev.strata.image.Platform;
import dev.strata.image.json.ImageJson;
import dev.strata.layer.IngestLimits;
import dev.strata.layer.LayerIndex;
import dev.strata.layer.LayerIngest;
import dev.strata.layer.LayerStreams;
import dev.strata.layer.ReadAheadInputStream;
import dev.strata.layer.UnsafeLayerException;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Pulls an image from a source into a store: manifest and config first (validated), then each
 * layer once as a stream, teed into its blob and into ingest, so the layer is verified,
 * indexed and its files stored in one read. Layers the store already has are not read at all.
 * The tag is written last: until then nothing of the image is visible by name.
 */
public final class Puller {
  private final Store store;
  private final IngestLimits limits;
  private final Consumer<LayerEvent> events;

  /** What happened to one layer. */
  public record LayerEvent(int index, int count, Descriptor layer, Status status, LayerIngest.Result result,
      long objectsWritten, long bytesWritten, long bytesDeduped) {}

  /** How a layer was obtained. */
  public enum Status {
    /** Blob and index were already in the store: nothing read. */
    EXISTS,
    /** The blob was in the store but not its index: indexed from the local blob. */
    INDEXED,
    /** Read from the source, verified and ingested. */
    PULLED
  }

  /** The outcome of a pull. */
  public record Result(String name, Descriptor manifest, ImmutableList<LayerEvent> layers) {
    public long layersCopied() {
      return layers.stream().filter(l -> l.status() != Status.EXISTS).count();
    }
  }

  public Puller(Store store, IngestLimits limits, Consumer<LayerEvent> events) {
    this.store = store;
    this.limits = limits;
    this.events = events;
  }

  /**
   * Pulls the image of {@code source} (for {@code platform}) and tags it {@code name}; a null
   * name tags nothing (a build's intermediate image, which its cache entry and pins keep).
   */
  public Result pull(ImageSource source, String name, Platform platform) throws IOException {
    if (name != null) {
      Store.checkTag(name);
    }
    try (Store.Lock lock = store.shared()) {
      ImageSource.SourceManifest sm = source.manifest(platform);
      Manifest manifest = ImageJson.parseManifest(sm.bytes());
      if (!MediaType.isConfig(manifest.config().mediaType())) {
        throw new IOException("unsupported config media type " + manifest.config().mediaType()
            + " (this is not a container image)");
      }
      byte[] configBytes = source.readSmall(manifest.config(), "config");
      ImageConfig config = ImageJson.parseConfig(configBytes);
      if (config.diffIds().size() != manifest.layers().size()) {
        throw new IOException("the config lists " + config.diffIds().size() + " diff_ids but the manifest has "
            + manifest.layers().size() + " layers");
      }
      List<LayerEvent> done = pullLayers(source, manifest.layers(), config.diffIds());
      store.blobs().write(new java.io.ByteArrayInputStream(configBytes), manifest.config().digest(), manifest.config().size());
      store.blobs().write(new java.io.ByteArrayInputStream(sm.bytes()), sm.descriptor().digest(), sm.descriptor().size());
      Descriptor tagged = Descriptor.of(manifest.mediaType(), sm.descriptor().digest(), sm.descriptor().size());
      if (name != null) {
        store.tag(name, tagged);
      }
      return new Result(name, tagged, ImmutableList.copyOf(done));
    }
  }

  /**
   * Pulls {@code layers} (blobs as their descriptors say, with their {@code diffIds}, bottom
   * first) that no image config lists, such as a volume's snapshots: each is verified against
   * its diff id and ingested on the ones below it, as an image's layers are, and a layer the
   * store has is not read. The caller holds the store's shared lock until something refers to
   * the layers (gc would take them).
   */
  public List<LayerEvent> pullLayers(ImageSource source, List<Descriptor> layers, List<Digest> diffIds)
      throws IOException {
    if (layers.size() != diffIds.size()) {
      throw new IllegalArgumentException(layers.size() + " layers but " + diffIds.size() + " diff ids");
    }
    try (Store.Lock lock = store.shared()) {
      List<Descriptor> missing = new ArrayList<>();
      for (Descriptor layer : layers) {
        if (!hasBlob(layer) && !missing.contains(layer)) {
          missing.add(layer);
        }
      }
      source.prefetch(missing);
      List<LayerEvent> done = new ArrayList<>();
      List<LayerIndex> below = new ArrayList<>();
      for (int i = 0; i < layers.size(); i++) {
        LayerEvent event = pullLayer(source, layers.get(i), diffIds.get(i), i, layers.size(), below);
        done.add(event);
        events.accept(event);
      }
      return done;
    }
  }

  /**
   * Indexes the layers of {@code image} that have a blob in the store but no index: an image
   * another tool wrote into the store (skopeo copy to {@code oci:STORE}, umoci) is mountable
   * once its layers are indexed, as a pull would have indexed them. Takes the store's lock shared,
   * as a pull does, and each such layer's indexing lock, looking again under it: a process that
   * indexed it meanwhile leaves nothing to do. Returns the layers this call indexed, in order.
   */
  public List<LayerEvent> indexStored(StoredImage image) throws IOException {
    List<Descriptor> layers = image.manifest().layers();
    List<Digest> diffIds = image.config().diffIds();
    if (diffIds.size() != layers.size()) {
      throw new IOException("image '" + image.name() + "': the config lists " + diffIds.size()
          + " diff_ids but the manifest has " + layers.size() + " layers");
    }
    if (diffIds.stream().allMatch(store.layers()::contains)) {
      return List.of();
    }
    try (Store.Lock lock = store.shared()) {
      List<LayerEvent> done = new ArrayList<>();
      List<LayerIndex> below = new ArrayList<>();
      for (int i = 0; i < layers.size(); i++) {
        Descriptor layer = layers.get(i);
        Digest diffId = diffIds.get(i);
        if (!store.layers().contains(diffId)) {
          try (Store.Lock indexing = store.indexing(diffId)) {
            if (!store.layers().contains(diffId)) {
              if (!hasBlob(layer)) {
                throw new IOException("image '" + image.name() + "': layer " + (i + 1) + " (" + layer.digest()
                    + ") has neither an index nor its blob in the store; pull the image again");
              }
              LayerEvent event = pullLayer(null, layer, diffId, i, layers.size(), below);
              done.add(event);
              events.accept(event);
              continue;
            }
          }
        }
        below.add(store.layers().read(diffId));
      }
      return done;
    }
  }

  private boolean hasBlob(Descriptor layer) throws IOException {
    return store.blobs().contains(layer.digest()) && store.blobs().size(layer.digest()) == layer.size();
  }

  private LayerEvent pullLayer(ImageSource source, Descriptor layer, Digest diffId, int i, int count,
      List<LayerIndex> below) throws IOException {
    boolean haveBlob = hasBlob(layer);
    if (haveBlob && store.layers().contains(diffId)) {
      below.add(store.layers().read(diffId));
      return new LayerEvent(i, count, layer, Status.EXISTS, null, 0, 0, 0);
    }
    var compression = MediaType.layerCompression(layer.mediaType());
    try (ObjectBatch objects = store.objects().batch()) {
      LayerIngest.Result result = null;
      try {
        result = read(source, layer, haveBlob, compression, objects, below);
        if (!result.diffId().equals(diffId)) {
          throw new DigestMismatchException("layer " + layer.digest() + ": uncompressed content has diff id "
              + result.diffId() + " but the config says " + diffId);
        }
        objects.commit();
        store.layers().adopt(result.indexFile(), diffId);
      } finally {
        if (result != null) {
          java.nio.file.Files.deleteIfExists(result.indexFile());
        }
      }
      below.add(result.index());
      return new LayerEvent(i, count, layer, haveBlob ? Status.INDEXED : Status.PULLED, result,
          objects.stagedCount(), objects.stagedBytes(), objects.dedupedBytes());
    }
  }

  /** Reads a layer from the store's blob or the source (storing its blob); the result's index file is the caller's. */
  private LayerIngest.Result read(ImageSource source, Descriptor layer, boolean haveBlob,
      dev.strata.image.Compression compression, ObjectBatch objects, List<LayerIndex> below) throws IOException {
    if (haveBlob) {
      try (InputStream blob = store.blobs().open(layer.digest())) {
        return ingest(blob, compression, objects, below, layer);
      }
    }
    LayerIngest.Result result = null;
    try (InputStream remote = source.openBlob(layer)) {
      if (remote instanceof GrowingFile.Reader download) {
        // A registry download: verified as it was written, so its file becomes the blob.
        result = ingest(remote, compression, objects, below, layer);
        remote.transferTo(java.io.OutputStream.nullOutputStream());
        store.blobs().adopt(download.takeVerifiedFile(), layer.digest(), layer.size());
      } else {
        try (PendingBlob pending = store.blobs().begin()) {
          InputStream tee = new TeeInputStream(remote, pending);
          result = ingest(tee, compression, objects, below, layer);
          tee.transferTo(java.io.OutputStream.nullOutputStream());
          pending.commit(layer.digest(), layer.size());
        }
      }
      return result;
    } catch (IOException | RuntimeException e) {
      if (result != null) {
        java.nio.file.Files.deleteIfExists(result.indexFile());
      }
      throw e;
    }
  }

  private LayerIngest.Result ingest(InputStream blob, dev.strata.image.Compression compression, ObjectBatch objects,
      List<LayerIndex> below, Descriptor layer) throws IOException {
    // Decompression (the tee into the blob, if any) and the DiffID's hash run on a thread of
    // their own, hashing and storing files on this one.
    try (ReadAheadInputStream tar = ReadAheadInputStream.digesting(LayerStreams.decompress(blob, compression),
        "strata-decompress-" + layer.digest().shortHex())) {
      // The index is built in the store's tmp/, on the filesystem it is renamed into.
      LayerIngest.Result result = LayerIngest.ingest(tar, objects, new MergedLowerFiles(List.copyOf(below)), limits,
          store.tmp());
      try {
        tar.awaitSource();
      } catch (IOException | RuntimeException e) {
        java.nio.file.Files.deleteIfExists(result.indexFile());
        throw e;
      }
      return result;
    } catch (UnsafeLayerException e) {
      throw new UnsafeLayerException("layer " + layer.digest() + ": " + e.getMessage(), e);
    }
  }

  /** Copies every byte read through it into a pending blob. */
  private static final class TeeInputStream extends FilterInputStream {
    private final PendingBlob sink;

    TeeInputStream(InputStream in, PendingBlob sink) {
      super(in);
      this.sink = sink;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        sink.output().write(b);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        sink.output().write(b, off, n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      // Every byte skipped must reach the blob, so skipping is reading.
      return Streams.skipByReading(this, n);
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }
}
