package dev.strata.union;

import dev.strata.host.HostFile;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/** The bytes of a regular file of a lower layer, read at any position. */
public interface FileContent extends Closeable {
  /** Returns the length. */
  long size();

  /** Reads into {@code dst} from {@code position}; returns the bytes read, -1 at the end. */
  int read(long position, ByteBuffer dst) throws IOException;

  /**
   * Returns the host file and offset that hold these bytes, so that copy-up can have the kernel
   * copy them (copy_file_range, or a reflink of a file that holds exactly them) instead of
   * reading them through; null when no host file holds them. The file stays open until this
   * content is closed.
   */
  Extent extent() throws IOException;

  /**
   * Where a content's bytes lie on the host: {@code size()} bytes of {@code file} from
   * {@code offset}; {@code whole} when the file holds them and nothing else.
   */
  record Extent(HostFile file, long offset, boolean whole) {}

  @Override
  void close() throws IOException;
}
