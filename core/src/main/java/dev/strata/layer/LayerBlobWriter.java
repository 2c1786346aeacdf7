package dev.strata.layer;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import dev.strata.digest.Digest;
import dev.strata.digest.DigestingOutputStream;
import dev.strata.image.Compression;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Writes a layer blob to a file: a tar stream, compressed, with both digests a manifest and a
 * config need taken on the way (the blob's, and the tar's: the diff id), so the layer is read
 * once. The same tar and options give the same bytes: gzip's header carries no time or name
 * (the JDK writes neither) and zstd runs on one thread.
 */
public final class LayerBlobWriter {
  /** gzip's default level, as {@code gzip} and Go's compress/gzip use. */
  public static final int GZIP_DEFAULT_LEVEL = 6;
  /** zstd's default level, as the {@code zstd} command uses. */
  public static final int ZSTD_DEFAULT_LEVEL = 3;

  private LayerBlobWriter() {}

  /** What was written: the blob's digest and size, and the diff id of the tar in it. */
  public record Written(Digest digest, long size, Digest diffId) {}

  /** Writes a tar stream. */
  @FunctionalInterface
  public interface TarBody {
    void write(OutputStream tar) throws IOException;
  }

  /**
   * Writes what {@code body} writes to {@code file}, compressed with {@code compression} at
   * {@code level} (0 or less: the compression's default level).
   */
  public static Written write(Path file, Compression compression, int level, TarBody body) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      return write(out, compression, level, body);
    }
  }

  /** As {@link #write(Path, Compression, int, TarBody)}, to a stream, which stays open. */
  public static Written write(OutputStream out, Compression compression, int level, TarBody body)
      throws IOException {
    DigestingOutputStream blob = DigestingOutputStream.sha256(new NonClosing(out));
    DigestingOutputStream tar;
    try (OutputStream compressed = compressor(blob, compression, level)) {
      tar = DigestingOutputStream.sha256(compressed);
      try (OutputStream buffered = new BufferedOutputStream(tar, 1 << 16)) {
        body.write(buffered);
      }
    }
    return new Written(blob.digest(), blob.count(), tar.digest());
  }

  private static OutputStream compressor(OutputStream out, Compression compression, int level) throws IOException {
    return switch (compression) {
      case NONE -> out;
      case GZIP -> new LeveledGzip(out, level > 0 ? level : GZIP_DEFAULT_LEVEL);
      case ZSTD -> {
        if (level > 22) {
          throw new IllegalArgumentException("zstd level " + level + " is not between 1 and 22");
        }
        yield new ZstdOutputStreamNoFinalizer(out, level > 0 ? level : ZSTD_DEFAULT_LEVEL);
      }
    };
  }

  /** gzip at a chosen level: the JDK's stream fixes none but lets its deflater be set. */
  private static final class LeveledGzip extends GZIPOutputStream {
    LeveledGzip(OutputStream out, int level) throws IOException {
      super(out, 1 << 16);
      if (level < Deflater.BEST_SPEED || level > Deflater.BEST_COMPRESSION) {
        throw new IllegalArgumentException("gzip level " + level + " is not between 1 and 9");
      }
      def.setLevel(level);
    }
  }

  /** Leaves the caller's stream open when the compressor closes. */
  private static final class NonClosing extends java.io.FilterOutputStream {
    NonClosing(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
