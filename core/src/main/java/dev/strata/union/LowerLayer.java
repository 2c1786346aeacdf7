package dev.strata.union;

import com.google.common.collect.ImmutableMap;
import dev.strata.layer.Bytes;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A read-only layer of a union, seen through the few calls the engine needs. Paths are
 * relative, slash-separated, without leading or trailing slashes; the root is "". A layer never
 * changes while a union uses it, so implementations may cache freely.
 *
 * <p>Two implementations pass one conformance suite: a layer of the store (its metadata index
 * and objects, nothing extracted) and a host directory in kernel overlay format.
 */
public interface LowerLayer extends Closeable {
  /** Returns the entry at {@code path} in this layer, or null if the layer holds nothing there. */
  LowerEntry stat(String path) throws IOException;

  /**
   * Like {@link #stat}, for a path the engine built from names it has checked already: a layer
   * may skip its own check (lookup asks every layer, so the check would repeat per layer).
   */
  default LowerEntry statChecked(String path) throws IOException {
    return stat(path);
  }

  /**
   * Returns the entries of the directory {@code dir} in this layer, whiteouts included, in no
   * particular order; empty if the layer holds no directory there.
   */
  List<LowerEntry> list(String dir) throws IOException;

  /** Opens the regular file at {@code path}. */
  FileContent open(String path) throws IOException;

  /**
   * Returns what a regular file that holds metadata only says of its data (a kernel metacopy
   * file, as an earlier upper leaves it: its data is in the layers below), or null for a file
   * that holds its own. Asked when the file is opened, never on a walk.
   */
  default Metacopy metacopy(String path) throws IOException {
    return null;
  }

  /**
   * A metadata-only file's pointer to its data: its redirect ("/a/b" from the union's root, or
   * a name in the same directory), or null when the data is at its own path below.
   */
  record Metacopy(String redirect) {}

  /** Returns the target of the symlink at {@code path}, as stored: never resolved. */
  String readlink(String path) throws IOException;

  /** Returns the extended attributes at {@code path}, without the overlay's private ones. */
  ImmutableMap<String, Bytes> xattrs(String path) throws IOException;

  /** Returns a short description for messages ("store layer sha256:…", "dir /x"). */
  String describe();

  /**
   * Hands back memory that reads brought in and that the layer can have again cheaply (a store
   * layer's mapped index pages, which stay in the page cache). Called from time to time by a
   * long-lived reader, beside reads in flight.
   */
  default void releasePages() {}

  /** Returns a host directory on the filesystem that holds this layer, for statfs. */
  default Path hostDirectory() {
    return Path.of("/");
  }

  @Override
  default void close() throws IOException {}
}
