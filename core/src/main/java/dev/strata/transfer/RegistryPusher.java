package dev.strata.transfer;

import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.image.Image;
import dev.strata.image.MediaType;
import dev.strata.layout.Store;
import dev.strata.registry.BlobBytes;
import dev.strata.registry.Reference;
import dev.strata.registry.RegistryClient;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Pushes an image to a registry: each blob the registry lacks (a HEAD first) is mounted from
 * the repository it was pulled from when that is on the same registry, else uploaded, a few at
 * once; the manifest goes last, byte for byte, so every digest is kept. The store is the
 * pushing side's memory: where blobs came from, and the files of the blobs it holds, which a
 * plain-http upload sends straight from the page cache.
 */
final class RegistryPusher {
  /** Blobs uploaded at once: the config and small layers go while a big one does (a knob for measuring). */
  static final int PARALLEL_UPLOADS = Integer.getInteger("strata.registry.uploads", 3);

  private RegistryPusher() {}

  static Descriptor push(Image image, Reference dest, RegistryClient client, Store store, TransferProgress progress)
      throws IOException {
    if (dest.digest() != null && !dest.digest().equals(image.descriptor().digest())) {
      throw new IllegalArgumentException("cannot push image " + image.descriptor().digest() + " as " + dest.digest()
          + ": a digest names other content");
    }
    List<ImageBlobs.Blob> order = ImageBlobs.content(image);
    // Announced now, so that progress lines come in layer order whichever upload ends first.
    for (ImageBlobs.Blob blob : order) {
      progress.update(blob.descriptor(), TransferProgress.State.RUNNING, 0);
    }
    int threads = Math.min(PARALLEL_UPLOADS, order.size());
    if (threads <= 1) {
      for (ImageBlobs.Blob blob : order) {
        pushBlob(store, dest, client, progress, blob);
      }
    } else {
      ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
        Thread t = new Thread(r, "strata-upload");
        t.setDaemon(true);
        return t;
      });
      List<Future<Void>> uploads = new ArrayList<>();
      try {
        for (ImageBlobs.Blob blob : order) {
          uploads.add(pool.submit(() -> {
            pushBlob(store, dest, client, progress, blob);
            return null;
          }));
        }
        for (Future<Void> upload : uploads) {
          Pusher.await(upload);
        }
      } finally {
        // One upload failed (or all are done): drop the uploads not yet started and let the
        // running ones end. Not interrupted: an interrupted send leaves its request in flight,
        // and it would reach the registry after this push has returned.
        uploads.forEach(u -> u.cancel(false));
        pool.shutdown();
        try {
          pool.awaitTermination(5, java.util.concurrent.TimeUnit.MINUTES);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    byte[] manifest = image.rawManifest();
    String type = image.descriptor().mediaType() != null ? image.descriptor().mediaType() : MediaType.OCI_MANIFEST;
    String ref = dest.tag() != null ? dest.tag() : dest.digest().toString();
    Digest written = client.putManifest(dest.repository(), ref, type, manifest);
    return Descriptor.of(type, written, manifest.length);
  }

  /** Makes one blob present in the registry, reporting how. */
  private static void pushBlob(Store store, Reference dest, RegistryClient client, TransferProgress progress,
      ImageBlobs.Blob blob) throws IOException {
    Descriptor d = blob.descriptor();
    String from = Origins.repository(store, dest.host(), d.digest()).orElse(null);
    // The store's file of the blob, when it holds it whole: the same bytes, as they have the same digest.
    Path file = store.blobs().size(d.digest()) == d.size() ? store.blobs().path(d.digest()) : null;
    RegistryClient.BlobPush outcome = client.pushBlob(dest.repository(), d, new BlobBytes() {
      @Override
      public InputStream open() throws IOException {
        return new Counting(blob.open(), d, progress);
      }

      @Override
      public Path file() {
        return file;
      }

      @Override
      public void sent(long bytes) {
        progress.update(d, TransferProgress.State.RUNNING, bytes);
      }
    }, from);
    progress.update(d, switch (outcome) {
      case EXISTS -> TransferProgress.State.EXISTS;
      case MOUNTED -> TransferProgress.State.MOUNTED;
      case UPLOADED -> TransferProgress.State.DONE;
    }, d.size());
    if (outcome != RegistryClient.BlobPush.EXISTS) {
      Origins.remember(store, dest, d.digest());
    }
  }

  /** Reports the bytes of an upload as they are read. */
  private static final class Counting extends FilterInputStream {
    private final Descriptor blob;
    private final TransferProgress progress;
    private long count;

    Counting(InputStream in, Descriptor blob, TransferProgress progress) {
      super(in);
      this.blob = blob;
      this.progress = progress;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        progress.update(blob, TransferProgress.State.RUNNING, ++count);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        count += n;
        progress.update(blob, TransferProgress.State.RUNNING, count);
      }
      return n;
    }
  }
}
