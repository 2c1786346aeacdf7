package dev.strata.digest;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/** Passes bytes through while digesting and counting them. */
public final class DigestingInputStream extends FilterInputStream {
  private final MessageDigest digest;
  private final String algorithm;
  private long count;

  public DigestingInputStream(InputStream in, String algorithm) {
    super(in);
    this.algorithm = algorithm;
    this.digest = Digest.newMessageDigest(algorithm);
  }

  /** Returns a sha256-digesting stream over {@code in}. */
  public static DigestingInputStream sha256(InputStream in) {
    return new DigestingInputStream(in, Digest.SHA256);
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b >= 0) {
      digest.update((byte) b);
      count++;
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      digest.update(b, off, n);
      count += n;
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    // Skipped bytes must still be digested, so skipping is reading.
    return Streams.skipByReading(this, n);
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  /** Returns how many bytes have passed. */
  public long count() {
    return count;
  }

  /** Returns the digest of the bytes that have passed; call once, at the end. */
  public Digest digest() {
    return Digest.fromRaw(algorithm, digest.digest());
  }
}
