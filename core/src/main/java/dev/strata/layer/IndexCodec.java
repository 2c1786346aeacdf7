package dev.strata.layer;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedMap;
import dev.strata.digest.Digest;
import dev.strata.host.Names;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Version 1 of the on-disk form of a {@link LayerIndex}: compact binary, read whole and parsed in
 * one pass, which made a mount's memory grow with the layer's entry count. Stores written before
 * version 2 ({@link IndexFormat}) hold such indexes: {@link #upgrade} turns one into version 2.
 *
 * <pre>
 * "STRATAIX" version(1)  diffId(algorithm string, raw bytes)  tarSize
 * strings: count, then each (owner names, group names, xattr names: few distinct, many uses)
 * entries: count, then each:
 *   path as (bytes shared with the previous path, suffix) — tar order keeps neighbours alike
 *   kind mode uid gid uname# gname# mtime-seconds mtime-nanos size
 *   [object sha256 raw]  [link target]  [device major minor]  link-group
 *   xattrs: count, then (name#, value)
 * sha256 of all the above
 * </pre>
 * Numbers are unsigned LEB128 varints (mtime zigzag). The trailing checksum lets fsck find a
 * damaged index without the layer.
 */
public final class IndexCodec {
  private static final byte[] MAGIC = "STRATAIX".getBytes(StandardCharsets.US_ASCII);
  private static final int VERSION = 1;
  private static final EntryKind[] KINDS = EntryKind.values();

  private IndexCodec() {}

  /** What a version-1 index holds. */
  public record Decoded(Digest diffId, long tarSize, ImmutableList<LayerEntry> entries) {}

  /** Encodes a version-1 index of the layer {@code diffId} (what older stores hold). */
  public static byte[] encode(Digest diffId, long tarSize, List<LayerEntry> entries) {
    Out out = new Out();
    out.bytes(MAGIC);
    out.varint(VERSION);
    out.string(diffId.algorithm());
    out.bytes(diffId.raw());
    out.varint(tarSize);

    Map<String, Integer> strings = new HashMap<>();
    List<String> table = new ArrayList<>();
    for (LayerEntry e : entries) {
      intern(e.uname(), strings, table);
      intern(e.gname(), strings, table);
      for (String name : e.xattrs().keySet()) {
        intern(name, strings, table);
      }
    }
    out.varint(table.size());
    for (String s : table) {
      out.string(s);
    }

    out.varint(entries.size());
    byte[] previous = new byte[0];
    for (LayerEntry e : entries) {
      byte[] path = Names.encode(e.path());
      int shared = sharedPrefix(previous, path);
      out.varint(shared);
      out.varint(path.length - shared);
      out.bytes(path, shared, path.length - shared);
      previous = path;
      out.varint(e.kind().ordinal());
      out.varint(e.mode());
      out.varint(e.uid());
      out.varint(e.gid());
      out.varint(strings.get(e.uname()));
      out.varint(strings.get(e.gname()));
      out.varint((e.mtimeSeconds() << 1) ^ (e.mtimeSeconds() >> 63));
      out.varint(e.mtimeNanos());
      out.varint(e.size());
      if (hasObject(e.kind())) {
        if (e.object() == null) {
          out.varint(0);
        } else {
          out.varint(1);
          out.bytes(e.object().raw());
        }
      }
      if (e.kind() == EntryKind.SYMLINK || e.kind() == EntryKind.HARDLINK) {
        out.string(e.linkTarget());
      }
      if (e.kind() == EntryKind.CHAR_DEVICE || e.kind() == EntryKind.BLOCK_DEVICE) {
        out.varint(e.devMajor());
        out.varint(e.devMinor());
      }
      out.varint(e.linkGroup());
      out.varint(e.xattrs().size());
      for (Map.Entry<String, Bytes> x : e.xattrs().entrySet()) {
        out.varint(strings.get(x.getKey()));
        byte[] v = x.getValue().toArray();
        out.varint(v.length);
        out.bytes(v);
      }
    }
    byte[] body = out.toByteArray();
    byte[] sum = Digest.newMessageDigest(Digest.SHA256).digest(body);
    byte[] all = Arrays.copyOf(body, body.length + sum.length);
    System.arraycopy(sum, 0, all, body.length, sum.length);
    return all;
  }

  /** Returns whether the trailing checksum of {@code data} matches its content. */
  public static boolean checksumValid(byte[] data) {
    if (data.length < 32 + MAGIC.length) {
      return false;
    }
    MessageDigest md = Digest.newMessageDigest(Digest.SHA256);
    md.update(data, 0, data.length - 32);
    return Arrays.equals(md.digest(), Arrays.copyOfRange(data, data.length - 32, data.length));
  }

  /**
   * Decodes an index; fails with a clear message if the data is not a valid index or is damaged
   * (its checksum does not match), never with anything but an IOException.
   */
  public static Decoded decode(byte[] data) throws IOException {
    if (data.length < MAGIC.length + 32 || !Arrays.equals(Arrays.copyOf(data, MAGIC.length), MAGIC)) {
      throw new IOException("not a Strata layer index (bad magic)");
    }
    // A flipped bit could make a file setuid or point it at another object: trust nothing damaged.
    if (!checksumValid(data)) {
      throw new IOException("layer index is damaged: its checksum does not match its content");
    }
    try {
      In in = new In(data, data.length - 32);
      in.pos = MAGIC.length;
      int version = (int) in.varint();
      if (version != VERSION) {
        throw new IOException("unsupported layer index version " + version);
      }
      String algorithm = in.string();
      Digest diffId = Digest.fromRaw(algorithm, in.bytes(algorithm.equals(Digest.SHA512) ? 64 : 32));
      long tarSize = in.varint();
      String[] table = new String[in.count()];
      for (int i = 0; i < table.length; i++) {
        table[i] = in.string();
      }
      int count = in.count();
      ImmutableList.Builder<LayerEntry> entries = ImmutableList.builderWithExpectedSize(count);
      byte[] previous = new byte[0];
      for (int i = 0; i < count; i++) {
        long shared = in.varint();
        if (shared < 0 || shared > previous.length) {
          throw new IOException("corrupt path in layer index: shares " + shared + " bytes of a "
              + previous.length + "-byte path");
        }
        int suffix = in.count();
        byte[] path = Arrays.copyOf(previous, (int) shared + suffix);
        System.arraycopy(data, in.take(suffix), path, (int) shared, suffix);
        previous = path;
        EntryKind kind = KINDS[(int) in.varint()];
        int mode = (int) in.varint();
        long uid = in.varint();
        long gid = in.varint();
        String uname = table[(int) in.varint()];
        String gname = table[(int) in.varint()];
        long zz = in.varint();
        long seconds = (zz >>> 1) ^ -(zz & 1);
        int nanos = (int) in.varint();
        long size = in.varint();
        Digest object = null;
        if (hasObject(kind) && in.varint() == 1) {
          object = Digest.fromRaw(Digest.SHA256, in.bytes(32));
        }
        String link = kind == EntryKind.SYMLINK || kind == EntryKind.HARDLINK ? in.string() : null;
        int major = 0;
        int minor = 0;
        if (kind == EntryKind.CHAR_DEVICE || kind == EntryKind.BLOCK_DEVICE) {
          major = (int) in.varint();
          minor = (int) in.varint();
        }
        int group = (int) in.varint();
        int xattrCount = in.count();
        ImmutableSortedMap<String, Bytes> xattrs = ImmutableSortedMap.of();
        if (xattrCount > 0) {
          ImmutableSortedMap.Builder<String, Bytes> b = ImmutableSortedMap.naturalOrder();
          for (int x = 0; x < xattrCount; x++) {
            String name = table[(int) in.varint()];
            b.put(name, Bytes.copyOf(in.bytes(in.count())));
          }
          xattrs = b.build();
        }
        entries.add(new LayerEntry(Names.decode(path), kind, mode, uid, gid, uname, gname,
            seconds, nanos, size, link, major, minor, object, group, xattrs));
      }
      if (in.pos != in.limit) {
        throw new IOException("layer index has " + (in.limit - in.pos) + " unexpected trailing bytes");
      }
      return new Decoded(diffId, tarSize, entries.build());
    } catch (IndexOutOfBoundsException | IllegalArgumentException | NegativeArraySizeException e) {
      throw new IOException("corrupt layer index: " + e, e);
    }
  }

  /**
   * Writes the version-2 index of what the version-1 index {@code data} holds to a new file in
   * {@code scratch}; returns it. A version-1 index is read whole, as it always was: a store
   * upgrades each of its indexes once.
   */
  public static java.nio.file.Path upgrade(byte[] data, java.nio.file.Path scratch) throws IOException {
    Decoded old = decode(data);
    try (IndexBuilder builder = new IndexBuilder(scratch)) {
      for (LayerEntry e : old.entries()) {
        // A link to a file below kept that file's object and size: all a build asks of below.
        builder.add(e.path(), e, e.kind() == EntryKind.HARDLINK ? e : null);
      }
      return builder.finish(old.diffId(), old.tarSize(), scratch);
    }
  }

  private static boolean hasObject(EntryKind kind) {
    return kind == EntryKind.FILE || kind == EntryKind.HARDLINK;
  }

  private static void intern(String s, Map<String, Integer> strings, List<String> table) {
    if (!strings.containsKey(s)) {
      strings.put(s, table.size());
      table.add(s);
    }
  }

  private static int sharedPrefix(byte[] a, byte[] b) {
    int n = Math.min(a.length, b.length);
    int i = 0;
    while (i < n && a[i] == b[i]) {
      i++;
    }
    return i;
  }

  private static final class Out extends ByteArrayOutputStream {
    Out() {
      super(1 << 16);
    }

    void varint(long v) {
      while ((v & ~0x7fL) != 0) {
        write((int) ((v & 0x7f) | 0x80));
        v >>>= 7;
      }
      write((int) v);
    }

    void bytes(byte[] b) {
      write(b, 0, b.length);
    }

    void bytes(byte[] b, int off, int len) {
      write(b, off, len);
    }

    void string(String s) {
      byte[] b = Names.encode(s);
      varint(b.length);
      bytes(b);
    }
  }

  private static final class In {
    final byte[] data;
    final int limit;
    int pos;

    In(byte[] data, int limit) {
      this.data = data;
      this.limit = limit;
    }

    long varint() throws IOException {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= limit) {
          throw new IOException("layer index ends early");
        }
        byte b = data[pos++];
        v |= (long) (b & 0x7f) << shift;
        if (b >= 0) {
          return v;
        }
      }
      throw new IOException("corrupt varint in layer index");
    }

    /**
     * Reads a count or length; each counted thing takes at least a byte, so a count beyond the
     * remaining bytes is corrupt (and must not size an allocation).
     */
    int count() throws IOException {
      long n = varint();
      if (n < 0 || n > limit - pos) {
        throw new IOException("corrupt layer index: count " + n + " exceeds the " + (limit - pos) + " bytes left");
      }
      return (int) n;
    }

    int take(int n) throws IOException {
      if (n < 0 || n > limit - pos) {
        throw new IOException("layer index ends early");
      }
      int at = pos;
      pos += n;
      return at;
    }

    byte[] bytes(int n) throws IOException {
      int at = take(n);
      return Arrays.copyOfRange(data, at, at + n);
    }

    String string() throws IOException {
      int n = count();
      int at = take(n);
      return Names.decode(data, at, n);
    }
  }
}
