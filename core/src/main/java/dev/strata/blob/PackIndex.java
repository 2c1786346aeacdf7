package dev.strata.blob;

import dev.strata.digest.Digest;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;

/**
 * The index of one pack file: the sha256 of every object in it, sorted, with offset and length.
 *
 * <pre>"STRATAPK" version(4) count(4) then count × (sha256(32) offset(8) length(4)), sha256 of all</pre>
 * Lookups are binary searches over the raw bytes, so loading an index costs one read.
 */
final class PackIndex {
  private static final byte[] MAGIC = "STRATAPK".getBytes(StandardCharsets.US_ASCII);
  private static final int HEADER = 16;
  private static final int RECORD = 44;

  /** One object of a pack. */
  record Slot(Digest digest, long offset, int length) {}

  private final byte[] data;
  private final int count;

  private PackIndex(byte[] data, int count) {
    this.data = data;
    this.count = count;
  }

  /** Parses and checks an index file's content. */
  static PackIndex parse(byte[] data) throws IOException {
    if (data.length < HEADER + 32 || !Arrays.equals(Arrays.copyOf(data, MAGIC.length), MAGIC)) {
      throw new IOException("not a pack index");
    }
    ByteBuffer b = ByteBuffer.wrap(data);
    int version = b.getInt(8);
    int count = b.getInt(12);
    if (version != 1 || count < 0 || (long) HEADER + (long) count * RECORD + 32 != data.length) {
      throw new IOException("corrupt pack index (version " + version + ", " + count + " objects, " + data.length + " bytes)");
    }
    MessageDigest md = Digest.newMessageDigest(Digest.SHA256);
    md.update(data, 0, data.length - 32);
    if (!Arrays.equals(md.digest(), Arrays.copyOfRange(data, data.length - 32, data.length))) {
      throw new IOException("pack index checksum does not match its content");
    }
    return new PackIndex(data, count);
  }

  /** Encodes an index of {@code slots} (any order). */
  static byte[] encode(List<Slot> slots) {
    Slot[] sorted = slots.toArray(new Slot[0]);
    // Lowercase hex of one length sorts as the raw bytes do, without decoding every compare.
    Arrays.sort(sorted, (a, b) -> a.digest.hex().compareTo(b.digest.hex()));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(HEADER + sorted.length * RECORD + 32);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(MAGIC);
      out.writeInt(1);
      out.writeInt(sorted.length);
      for (Slot s : sorted) {
        out.write(s.digest.raw());
        out.writeLong(s.offset);
        out.writeInt(s.length);
      }
      out.flush();
      byte[] body = bytes.toByteArray();
      out.write(Digest.newMessageDigest(Digest.SHA256).digest(body));
    } catch (IOException e) {
      throw new AssertionError("in-memory stream", e);
    }
    return bytes.toByteArray();
  }

  /** Returns how many objects the pack holds. */
  int count() {
    return count;
  }

  /** Returns the slot at position {@code i} of the sorted order. */
  Slot slot(int i) {
    int at = HEADER + i * RECORD;
    ByteBuffer b = ByteBuffer.wrap(data);
    return new Slot(Digest.fromRaw(Digest.SHA256, Arrays.copyOfRange(data, at, at + 32)), b.getLong(at + 32), b.getInt(at + 40));
  }

  /** Returns the slot of {@code raw} (a sha256 in binary), or null. */
  Slot find(byte[] raw) {
    int lo = 0;
    int hi = count - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int at = HEADER + mid * RECORD;
      int c = Arrays.compareUnsigned(data, at, at + 32, raw, 0, 32);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        return slot(mid);
      }
    }
    return null;
  }
}
