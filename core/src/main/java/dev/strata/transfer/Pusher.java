package dev.strata.transfer;

import dev.strata.image.Descriptor;
import dev.strata.layout.Store;
import dev.strata.registry.Reference;
import dev.strata.registry.RegistryClient;
import dev.strata.registry.RegistryOptions;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

/**
 * {@code strata push}: reads an image of the store and writes it to a place outside, through
 * {@link ImageLocation}, whose writers copy blobs byte for byte and so keep every digest (but
 * for docker-archive, whose format wants the layers uncompressed). What is left here is the
 * push's own part: the destination named after the image when it names nothing, and the
 * registry connection made while the image loads.
 */
public final class Pusher {
  private Pusher() {}

  /** Pushes image {@code name} of {@code store} to {@code dest}; returns the manifest descriptor written. */
  public static Descriptor push(Store store, String name, Transports.Location dest) throws IOException {
    return push(store, name, dest, RegistryOptions.DEFAULT, TransferProgress.NONE, null);
  }

  /**
   * Starts connecting to the registry {@code dest} names on a thread of its own, so that the
   * caller can load the image meanwhile (the connection's first use of the HTTP client and TLS
   * takes as long); null when {@code dest} is not a registry. Pass it to {@link #push}.
   */
  public static Future<RegistryClient> connectInBackground(Transports.Location dest, RegistryOptions options) {
    if (!dest.isRegistry()) {
      return null;
    }
    Reference ref = dest.reference();
    FutureTask<RegistryClient> task = new FutureTask<>(() -> RegistryClient.connect(ref.host(), options));
    Thread t = new Thread(task, "strata-connect");
    t.setDaemon(true);
    t.start();
    return task;
  }

  /**
   * Pushes image {@code name} of {@code store} to {@code dest}, tagged {@code name} there when
   * {@code dest} names no tag; a registry is reached with {@code options}, or by the connection
   * {@code connecting} from {@link #connectInBackground} when not null.
   */
  public static Descriptor push(Store store, String name, Transports.Location dest, RegistryOptions options,
      TransferProgress progress, Future<RegistryClient> connecting) throws IOException {
    try (ImageLocation source = ImageLocation.inStore(store, name);
        ImageLocation target = Locations.of(dest.orRef(name), store, options, progress, connecting)) {
      return target.write(source.read());
    }
  }

  /** The result of a task on another thread, its failure thrown as it was thrown there. */
  static <T> T await(Future<T> task) throws IOException {
    try {
      return task.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while pushing");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IOException(cause);
    }
  }
}
