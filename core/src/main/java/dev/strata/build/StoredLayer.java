package dev.strata.build;

import dev.strata.blob.ObjectBatch;
import dev.strata.digest.Digest;
import dev.strata.image.Compression;
import dev.strata.image.Descriptor;
import dev.strata.image.Image;
import dev.strata.image.Layer;
import dev.strata.layer.BytePipe;
import dev.strata.layer.IngestLimits;
import dev.strata.layer.LayerBlobWriter;
import dev.strata.layer.LayerIndex;
import dev.strata.layer.LayerIngest;
import dev.strata.layout.Store;
import dev.strata.transfer.MergedLowerFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * A build step's layer written straight into the store: its tar goes at once into the
 * compressed blob (on this thread) and into the store's ingest, which makes the layer's file
 * objects and index (on a second one). Storing the step's image then finds both and reads
 * nothing again, where a pull of the blob just written would decompress and parse it a second
 * time: for a COPY of thousands of small files, a third of the step.
 *
 * <p>Nothing is visible until both ends succeeded: the blob is moved in first, then the
 * objects, then the index, as a pull stores them. Call it under the store's shared lock, held
 * until the image is stored (else gc may take what no image names yet).
 */
public final class StoredLayer {
  private StoredLayer() {}

  /** Writes the layer {@code body} writes, on top of {@code base}, into {@code store}. */
  static Layer write(Store store, Image base, BuildOptions options, LayerBlobWriter.TarBody body) throws IOException {
    List<LayerIndex> below = new ArrayList<>();
    for (Digest diffId : base.config().diffIds()) {
      below.add(store.layers().read(diffId));
    }
    return write(store, below, options.compression(), options.level(), LayerBuilder.mediaType(options), body);
  }

  /**
   * Writes the layer {@code body} writes, on top of the layers {@code below} (bottom first),
   * into {@code store} as a blob of {@code mediaType}, compressed with {@code compression} at
   * {@code level} (0: its default).
   */
  public static Layer write(Store store, List<LayerIndex> below, Compression compression, int level, String mediaType,
      LayerBlobWriter.TarBody body) throws IOException {
    Path blob = Files.createTempFile(store.tmp(), "layer-", ".blob");
    BytePipe pipe = new BytePipe();
    try (ObjectBatch objects = store.objects().batch()) {
      FutureTask<LayerIngest.Result> ingest = new FutureTask<>(() -> {
        try (InputStream tar = pipe.source()) {
          LayerIngest.Result r = LayerIngest.ingest(tar, objects, new MergedLowerFiles(below), IngestLimits.DEFAULT,
              store.tmp());
          tar.transferTo(OutputStream.nullOutputStream()); // the blocks after the tar's end
          return r;
        }
      });
      Thread reader = new Thread(ingest, "strata-layer-ingest");
      reader.setDaemon(true);
      reader.start();
      LayerBlobWriter.Written written = null;
      LayerIngest.Result result = null;
      try {
        try (OutputStream toIngest = pipe.sink()) {
          written = LayerBlobWriter.write(blob, compression, level,
              tar -> body.write(new Tee(tar, toIngest)));
        } catch (BytePipe.ReaderGoneException e) {
          // The ingest stopped first: its error is the one that says why.
          result = await(ingest, null);
          throw e; // (an ingest that stopped without an error: the pipe's word must do)
        } catch (IOException | RuntimeException e) {
          // The sink was closed (the stream ended where the writer failed): the ingest ends too.
          result = await(ingest, e);
          throw e;
        }
        result = await(ingest, null);
        if (!result.diffId().equals(written.diffId())) {
          throw new IOException("layer " + written.digest() + ": the store read diff id " + result.diffId()
              + " but " + written.diffId() + " was written");
        }
        store.blobs().adopt(blob, written.digest(), written.size());
        objects.commit();
        store.layers().adopt(result.indexFile(), written.diffId());
      } finally {
        Files.deleteIfExists(blob);
        if (result != null) {
          Files.deleteIfExists(result.indexFile());
        }
      }
      Digest digest = written.digest();
      return Layer.of(Descriptor.of(mediaType, digest, written.size()), written.diffId(),
          () -> store.blobs().open(digest));
    }
  }

  /**
   * Waits for the ingest; when the writer failed ({@code writing}), its error is the one to
   * report and the ingest's (a stream cut short) is added to it, never thrown instead.
   */
  private static LayerIngest.Result await(FutureTask<LayerIngest.Result> ingest, Exception writing)
      throws IOException {
    try {
      return ingest.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while storing a layer");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (writing != null) {
        writing.addSuppressed(cause);
        return null;
      }
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new IOException(cause);
    }
  }

  /** Writes to both streams; closing it closes neither (their owners do). */
  private static final class Tee extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    Tee(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int x) throws IOException {
      a.write(x);
      b.write(x);
    }

    @Override
    public void write(byte[] buf, int off, int len) throws IOException {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }

    @Override
    public void flush() throws IOException {
      a.flush();
    }
  }
}
