package dev.strata.transfer;

import dev.strata.image.Descriptor;
import dev.strata.image.Platform;
import dev.strata.layout.Store;
import dev.strata.registry.Reference;
import dev.strata.registry.RegistryClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * An image in a registry, {@code docker://HOST/REPO:TAG}. Layers are downloaded a few at a
 * time, each into a private file under the store's tmp/ (verified, resumed when broken),
 * while the puller ingests them in order, each as it arrives: ingest needs the layers below,
 * downloads do not. Nothing reaches the store's blobs but through the puller's own verified
 * commit.
 */
final class RegistrySource implements ImageSource {
  /** Downloads at once: enough to keep a link busy, few enough not to starve ingest (a knob for measuring). */
  static final int PARALLEL_DOWNLOADS = Integer.getInteger("strata.registry.downloads", 3);
  private final Reference ref;
  private final RegistryClient client;
  private final Path staging;
  private final TransferProgress progress;
  private final Store store;
  private final Map<String, GrowingFile> downloads = new ConcurrentHashMap<>();
  private ExecutorService pool;
  private SourceManifest manifest;

  RegistrySource(Reference ref, RegistryClient client, Store store, Path staging, TransferProgress progress) {
    this.ref = ref;
    this.store = store;
    this.client = client;
    this.staging = staging;
    this.progress = progress;
  }

  Reference reference() {
    return ref;
  }

  @Override
  public SourceManifest manifest(Platform platform) throws IOException {
    if (manifest == null) {
      RegistryClient.ImageManifest m = client.manifest(ref, platform);
      manifest = new SourceManifest(m.descriptor(), m.bytes());
    }
    return manifest;
  }

  @Override
  public synchronized void prefetch(List<Descriptor> layers) throws IOException {
    if (pool == null) {
      pool = Executors.newFixedThreadPool(PARALLEL_DOWNLOADS, r -> {
        Thread t = new Thread(r, "strata-download");
        t.setDaemon(true);
        return t;
      });
    }
    for (Descriptor d : layers) {
      String key = d.digest().toString();
      if (!downloads.containsKey(key)) {
        GrowingFile file = new GrowingFile(staging.resolve(d.digest().hex()));
        downloads.put(key, file);
        // Announced now, so that progress lines come in layer order.
        progress.update(d, TransferProgress.State.RUNNING, 0);
        pool.execute(() -> download(d, file));
      }
    }
  }

  private void download(Descriptor d, GrowingFile file) {
    try {
      client.download(ref.repository(), d, file.path(), bytes -> {
        file.advance(bytes);
        progress.update(d, TransferProgress.State.RUNNING, bytes);
      });
      Origins.remember(store, ref, d.digest());
      progress.update(d, TransferProgress.State.DONE, d.size());
      file.finish();
    } catch (IOException e) {
      file.fail(e);
    } catch (RuntimeException e) {
      file.fail(new IOException("download of " + d.digest() + " failed: " + e, e));
    }
  }

  @Override
  public InputStream openBlob(Descriptor d) throws IOException {
    if (d.size() <= 1 << 20 && !downloads.containsKey(d.digest().toString())) {
      // Small blobs (the config) are read straight; the caller verifies them, the origin is a hint.
      InputStream in = client.openBlob(ref.repository(), d.digest());
      Origins.remember(store, ref, d.digest());
      return in;
    }
    prefetch(List.of(d));
    // Read once: the file goes as soon as the puller has it, so tmp/ holds at most the lookahead.
    return downloads.get(d.digest().toString()).open();
  }

  @Override
  public String suggestedName() {
    return ref.baseName();
  }

  @Override
  public void close() throws IOException {
    synchronized (this) {
      if (pool != null) {
        pool.shutdownNow();
        try {
          pool.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    Staging.delete(staging);
  }
}
