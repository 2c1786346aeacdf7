package dev.strata.digest;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;

/**
 * Passes bytes on while digesting and counting them: the digest of what was written, without
 * reading it back. Closing closes the stream it writes to.
 */
public final class DigestingOutputStream extends FilterOutputStream {
  private final MessageDigest digest;
  private final String algorithm;
  private long count;

  public DigestingOutputStream(OutputStream out, String algorithm) {
    super(out);
    this.algorithm = algorithm;
    this.digest = Digest.newMessageDigest(algorithm);
  }

  /** Returns a sha256-digesting stream into {@code out}. */
  public static DigestingOutputStream sha256(OutputStream out) {
    return new DigestingOutputStream(out, Digest.SHA256);
  }

  @Override
  public void write(int b) throws IOException {
    out.write(b);
    digest.update((byte) b);
    count++;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    digest.update(b, off, len);
    count += len;
  }

  /** Returns how many bytes have passed. */
  public long count() {
    return count;
  }

  /** Returns the digest of the bytes written so far; call once, after the last write. */
  public Digest digest() {
    return Digest.fromRaw(algorithm, digest.digest());
  }
}
