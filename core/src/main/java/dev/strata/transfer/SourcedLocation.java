package dev.strata.transfer;

import dev.strata.image.Image;
import dev.strata.image.Platform;
import dev.strata.layout.Store;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A place outside the store, read through an {@link ImageSource} of its kind. An image read
 * from here opens its layers from that source, so each source stays open until the location
 * closes, and so does the store's lock, shared: archives and downloads are staged in the
 * store's tmp/, which gc would otherwise clear under the reader.
 */
abstract class SourcedLocation implements ImageLocation {
  /** The place, as parsed: its messages and {@link #toString} name it so. */
  final Transports.Location where;
  /** The store whose tmp/ stages what is read from here. */
  final Store store;
  private final List<ImageSource> opened = new ArrayList<>();
  private Store.Lock lock;

  SourcedLocation(Transports.Location where, Store store) {
    this.where = where;
    this.store = store;
  }

  /** Opens a source over this place; the caller closes it. */
  abstract ImageSource openSource() throws IOException;

  @Override
  public synchronized Image read(Platform platform) throws IOException {
    if (lock == null) {
      lock = store.shared();
    }
    ImageSource source = openSource();
    opened.add(source);
    return Images.read(source, platform);
  }

  @Override
  public synchronized void close() throws IOException {
    IOException failure = null;
    for (ImageSource source : opened) {
      try {
        source.close();
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    opened.clear();
    if (lock != null) {
      lock.close();
      lock = null;
    }
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public String toString() {
    return where.toString();
  }
}
