package dev.strata.union;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Optional;

/** The bytes of a regular file of a lower layer, read at any position. */
public interface FileContent extends Closeable {
  /** Returns the length. */
  long size();

  /** Reads into {@code dst} from {@code position}; returns the bytes read, -1 at the end. */
  int read(long position, ByteBuffer dst) throws IOException;

  /**
   * Returns the host file that holds exactly these bytes (and nothing else), when there is one,
   * so that copy-up can clone or copy_file_range it instead of reading it through.
   */
  Optional<Path> hostFile();

  @Override
  void close() throws IOException;
}
