package dev.strata.layer;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import dev.strata.image.Compression;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Opens a layer blob as its uncompressed tar stream, trusting its bytes over its label. */
public final class LayerStreams {
  private static final int BUFFER = 1 << 16;

  private LayerStreams() {}

  /** Returns the compression that {@code in}'s first bytes show, without consuming them. */
  public static Compression sniff(BufferedInputStream in) throws IOException {
    in.mark(4);
    byte[] magic = in.readNBytes(4);
    in.reset();
    if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
      return Compression.GZIP;
    }
    if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
        && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
      return Compression.ZSTD;
    }
    return Compression.NONE;
  }

  /**
   * Returns the uncompressed stream of a layer blob declared as {@code declared}. Fails with a
   * clear message when the bytes are compressed otherwise than the media type says.
   */
  public static InputStream decompress(InputStream blob, Compression declared) throws IOException {
    BufferedInputStream in = new BufferedInputStream(blob, BUFFER);
    Compression actual = sniff(in);
    if (actual != declared) {
      throw new UnsafeLayerException("its media type says " + declared.label() + " but its bytes are "
          + actual.label());
    }
    return switch (actual) {
      case NONE -> in;
      case GZIP -> new GzipMembers(in);
      case ZSTD -> new BufferedInputStream(new ZstdErrors(new ZstdInputStreamNoFinalizer(in)), BUFFER);
    };
  }

  /**
   * Names a zstd decoder's failure as a refused layer. The decoder reads frame after frame, as
   * {@code zstd -d} does, and fails as it does on anything after the last frame that is not one
   * (skippable frames are frames); it cannot tell where, so the message says what it may be.
   */
  private static final class ZstdErrors extends FilterInputStream {
    ZstdErrors(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      try {
        return in.read();
      } catch (IOException e) {
        throw refused(e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return in.read(b, off, len);
      } catch (IOException e) {
        throw refused(e);
      }
    }

    private static IOException refused(IOException e) {
      if (e instanceof UnsafeLayerException || !e.getClass().getName().startsWith("com.github.luben.zstd")) {
        return e;
      }
      return new UnsafeLayerException("truncated or corrupt zstd stream, or bytes after its last frame that are not"
          + " a zstd frame (zstd -d, and so GNU tar, refuses them): " + e.getMessage(), e);
    }
  }
}
