package dev.strata.volume;

import dev.strata.host.HostDir;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Copies a tree into a volume's empty data as an export of it read back by an import: one
 * reading of a tree and one writing of a volume (owners, modes, nanosecond times, xattrs,
 * symlinks, hard links, devices), whatever the tree is on (a container's mount too). The tar
 * goes through a pipe, never to disk.
 */
final class VolumeCopy {
  private static final int PIPE = 1 << 16;

  private VolumeCopy() {}

  /** Writes a tar to a stream, which it leaves open. */
  @FunctionalInterface
  interface TarSource {
    void write(java.io.OutputStream out) throws IOException;
  }

  static void copy(Path source, Path data) throws IOException {
    copy(source.toString(), out -> VolumeExport.write(source, out, () -> { }), data);
  }

  /** Unpacks the tar {@code source} writes (of {@code what}, for messages) into {@code data}. */
  static void copy(String what, TarSource source, Path data) throws IOException {
    AtomicReference<Throwable> exportFailed = new AtomicReference<>();
    try (PipedInputStream in = new PipedInputStream(PIPE)) {
      PipedOutputStream out = new PipedOutputStream(in);
      Thread writer = new Thread(() -> {
        try {
          source.write(out);
        } catch (IOException | RuntimeException e) {
          exportFailed.set(e); // before the close below: the reader sees the cut only after this
        } finally {
          try {
            out.close();
          } catch (IOException e) {
            exportFailed.compareAndSet(null, e);
          }
        }
      }, "volume-copy");
      writer.start();
      try {
        try (HostDir target = HostDir.open(data)) {
          VolumeImport.read(in, target);
          in.transferTo(java.io.OutputStream.nullOutputStream()); // the archive's padding: the writer ends
        } catch (IOException | RuntimeException e) {
          // The reading side's error, unless it only saw the tar cut short by the writer's: the
          // writer's own failure is set before it closes the pipe, so it is seen here if it came first.
          Throwable first = exportFailed.get();
          in.close(); // a writer blocked on a full pipe fails now rather than waiting forever
          join(writer);
          if (first != null) {
            throw new IOException("copying " + what + ": " + first.getMessage(), first);
          }
          throw e;
        }
        join(writer);
        if (exportFailed.get() != null) {
          throw new IOException("copying " + what + ": " + exportFailed.get().getMessage(), exportFailed.get());
        }
      } finally {
        in.close();
      }
    }
  }

  private static void join(Thread writer) throws IOException {
    try {
      writer.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while copying into a volume");
    }
  }
}
