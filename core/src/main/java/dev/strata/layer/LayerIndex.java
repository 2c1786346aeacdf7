package dev.strata.layer;

import com.google.common.collect.ImmutableSortedMap;
import dev.strata.digest.Digest;
import dev.strata.host.Names;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.RandomAccess;

/**
 * The metadata of one layer: every entry of its tar, in tar order, with where each regular
 * file's bytes are, and the tree a union shows of it ({@link #tree()}). Read in place from its
 * file ({@link IndexFormat}): opening reads the header, each entry is decoded when asked for,
 * and nothing on the heap grows with the layer's entry count. Immutable, like the layer.
 */
public final class LayerIndex {
  private static final EntryKind[] KINDS = EntryKind.values();

  private final MappedFile file;
  private final Digest diffId;
  private final long tarSize;
  private final int entryCount;
  private final long nodeCount;
  private final long groupCount;
  private final long[] sections = new long[IndexFormat.SECTIONS];
  private final String[] strings;
  private final LayerTree tree;

  private LayerIndex(MappedFile file) throws IOException {
    this.file = file;
    if (file.size() < IndexFormat.HEADER + 32 || file.compare(0, 8, IndexFormat.MAGIC) != 0) {
      throw new IOException("not a Strata layer index (bad magic)");
    }
    int version = file.get(8);
    if (version != IndexFormat.VERSION) {
      throw new IOException("unsupported layer index version " + version);
    }
    tarSize = file.getLong(16);
    long entries = file.getLong(24);
    nodeCount = file.getLong(32);
    groupCount = file.getLong(40);
    long previous = IndexFormat.HEADER;
    for (int i = 0; i < IndexFormat.SECTIONS; i++) {
      sections[i] = file.getLong(48 + 8L * i);
      if (sections[i] < previous || sections[i] > file.size() - 32) {
        throw new IOException("layer index is damaged: its sections are out of order");
      }
      previous = sections[i];
    }
    if (entries < 0 || entries > Integer.MAX_VALUE
        || length(IndexFormat.RECORD_AT) != entries * 8 || length(IndexFormat.BY_PATH) != entries * 4
        || length(IndexFormat.NODES) != nodeCount * IndexFormat.NODE || length(IndexFormat.GROUPS) != groupCount * 8
        || length(IndexFormat.OBJECTS) % 32 != 0 || nodeCount < 1) {
      throw new IOException("layer index is damaged: its sections do not match its counts");
    }
    entryCount = (int) entries;
    Varints.Cursor c = cursor(IndexFormat.STRINGS);
    strings = new String[c.count()];
    for (int i = 0; i < strings.length; i++) {
      strings[i] = Names.decode(c.bytes(c.count()));
    }
    c = cursor(IndexFormat.DIFF_ID);
    String algorithm = Names.decode(c.bytes(c.count()));
    try {
      diffId = Digest.fromRaw(algorithm, c.bytes(algorithm.equals(Digest.SHA512) ? 64 : 32));
    } catch (IllegalArgumentException e) {
      throw new IOException("layer index is damaged: " + e.getMessage(), e);
    }
    tree = new LayerTree(this, file, sections[IndexFormat.NODES], sections[IndexFormat.NAMES], nodeCount);
  }

  /** Opens the index file {@code file} (version 2) in place. */
  public static LayerIndex open(Path file) throws IOException {
    return new LayerIndex(MappedFile.open(file));
  }

  /** Returns the digest of the uncompressed layer tar. */
  public Digest diffId() {
    return diffId;
  }

  /** Returns the size of the uncompressed layer tar. */
  public long tarSize() {
    return tarSize;
  }

  /** Returns how many entries the tar has. */
  public int size() {
    return entryCount;
  }

  /**
   * Returns the entries in tar order: a view that decodes each entry when it is read, so that
   * iterating it holds one at a time. A damaged index throws {@link UncheckedIOException}.
   */
  public List<LayerEntry> entries() {
    return new Entries();
  }

  /** Returns the entry at {@code path} (normalized, as the tar has it), or null. */
  public LayerEntry get(String path) throws IOException {
    byte[] key = Names.encode(path);
    long lo = 0;
    long hi = entryCount - 1L;
    long byPath = sections[IndexFormat.BY_PATH];
    while (lo <= hi) {
      long mid = (lo + hi) >>> 1;
      int position = file.getInt(byPath + mid * 4);
      Varints.Cursor c = record(position);
      long at = sections[IndexFormat.PATHS] + c.varint();
      int c2 = comparePath(at, pathLength(c), key);
      if (c2 == 0) {
        return entry(position);
      }
      if (c2 < 0) {
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return null;
  }

  /**
   * Hands back the pages of the index that reads have mapped into this process; they stay in
   * the page cache and map again when read. What keeps a long-lived reader (a mount's server)
   * from holding every page a walk once touched.
   */
  public void releasePages() {
    file.release();
  }

  /** Returns the tree a union shows of this layer. */
  public LayerTree tree() {
    return tree;
  }

  /**
   * Reads the whole file and checks its trailing checksum (fsck does; opening does not, to read
   * no more than a mount uses): a damaged index must not make a file setuid or point it at
   * another object.
   */
  public void verify() throws IOException {
    MessageDigest md = Digest.newMessageDigest(Digest.SHA256);
    long end = file.size() - 32;
    byte[] buffer = new byte[1 << 16];
    for (long at = 0; at < end; at += buffer.length) {
      int n = (int) Math.min(buffer.length, end - at);
      file.get(at, buffer, 0, n);
      md.update(buffer, 0, n);
    }
    if (!Arrays.equals(md.digest(), file.bytes(end, 32))) {
      throw new IOException("layer index is damaged: its checksum does not match its content");
    }
  }

  /** Returns the version of the index file {@code file}: 1 or 2 (or what else it says). */
  public static int version(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        InputStream in = Channels.newInputStream(ch)) {
      byte[] head = in.readNBytes(IndexFormat.MAGIC.length + 1);
      if (head.length < IndexFormat.MAGIC.length + 1 || !Arrays.equals(Arrays.copyOf(head, IndexFormat.MAGIC.length), IndexFormat.MAGIC)) {
        throw new IOException("not a Strata layer index (bad magic)");
      }
      return head[IndexFormat.MAGIC.length];
    }
  }

  /** Returns the entry at {@code position} in tar order. */
  LayerEntry entry(int position) throws IOException {
    Varints.Cursor c = record(position);
    long pathAt = c.varint();
    int pathLength = pathLength(c);
    String path = Names.decode(file.bytes(checkedPath(pathAt, pathLength), pathLength));
    Attrs a = attrs(c, position);
    ImmutableSortedMap<String, Bytes> xattrs = ImmutableSortedMap.of();
    int count = c.count();
    if (count > 0) {
      ImmutableSortedMap.Builder<String, Bytes> b = ImmutableSortedMap.naturalOrder();
      for (int i = 0; i < count; i++) {
        String name = string(c);
        b.put(name, Bytes.copyOf(c.bytes(c.count())));
      }
      xattrs = b.build();
    }
    return new LayerEntry(path, a.kind, a.mode, a.uid, a.gid, a.uname, a.gname, a.mtimeSeconds, a.mtimeNanos,
        a.size, a.link, a.devMajor, a.devMinor, a.objectNumber < 0 ? null : object(a.objectNumber), a.group, xattrs);
  }

  /** An entry's fields but its path and xattrs: what a lookup needs. */
  record Attrs(EntryKind kind, int mode, long uid, long gid, String uname, String gname, long mtimeSeconds,
      int mtimeNanos, long size, int group, long objectNumber, String link, int devMajor, int devMinor) {}

  /** Returns the attributes of the entry at {@code position}. */
  Attrs attrs(int position) throws IOException {
    Varints.Cursor c = record(position);
    c.varint();
    c.varint();
    return attrs(c, position);
  }

  /** Returns the position of the first name of hard-link group {@code group}, and its count of names. */
  long[] group(int group) throws IOException {
    if (group < 1 || group > groupCount) {
      throw new IOException("layer index is damaged: no hard-link group " + group);
    }
    long at = sections[IndexFormat.GROUPS] + (group - 1L) * 8;
    return new long[] {file.getInt(at) & 0xffffffffL, file.getInt(at + 4) & 0xffffffffL};
  }

  private Digest object(long n) throws IOException {
    if (n >= length(IndexFormat.OBJECTS) / 32) {
      throw new IOException("layer index is damaged: no object " + n);
    }
    return Digest.fromRaw(Digest.SHA256, file.bytes(sections[IndexFormat.OBJECTS] + n * 32, 32));
  }

  int entryCount() {
    return entryCount;
  }

  private Attrs attrs(Varints.Cursor c, int position) throws IOException {
    int k = c.u8();
    if (k >= KINDS.length) {
      throw new IOException("layer index is damaged: entry " + position + " has kind " + k);
    }
    EntryKind kind = KINDS[k];
    int mode = (int) c.varint();
    long uid = c.varint();
    long gid = c.varint();
    String uname = string(c);
    String gname = string(c);
    long seconds = Varints.unzigzag(c.varint());
    int nanos = (int) c.varint();
    long size = c.varint();
    int group = (int) c.varint();
    // The digest is read only for what asks for it: a lookup needs the size alone.
    long object = -1;
    if (kind == EntryKind.FILE || kind == EntryKind.HARDLINK) {
      object = c.varint() - 1;
    }
    String link = null;
    if (kind == EntryKind.SYMLINK || kind == EntryKind.HARDLINK) {
      link = Names.decode(c.bytes(c.count()));
    }
    int major = 0;
    int minor = 0;
    if (kind == EntryKind.CHAR_DEVICE || kind == EntryKind.BLOCK_DEVICE) {
      major = (int) c.varint();
      minor = (int) c.varint();
    }
    if (kind == EntryKind.HARDLINK && object < 0) {
      // A later name of a group shows what its first name holds.
      int root = (int) group(group)[0];
      if (root == position || root >= entryCount) {
        throw new IOException("layer index is damaged: hard link " + position + " has no file");
      }
      Attrs first = attrs(root);
      object = first.objectNumber;
      size = first.size;
    }
    return new Attrs(kind, mode, uid, gid, uname, gname, seconds, nanos, size, group, object, link, major, minor);
  }

  private Varints.Cursor record(int position) throws IOException {
    if (position < 0 || position >= entryCount) {
      throw new IOException("layer index is damaged: no entry " + position);
    }
    long at = file.getLong(sections[IndexFormat.RECORD_AT] + 8L * position);
    long start = sections[IndexFormat.RECORDS];
    long end = sections[IndexFormat.RECORD_AT];
    if (at < 0 || at >= end - start) {
      throw new IOException("layer index is damaged: entry " + position + " lies outside its records");
    }
    return new Varints.Cursor(file, start + at, end);
  }

  private static int pathLength(Varints.Cursor c) throws IOException {
    long n = c.varint();
    if (n > Integer.MAX_VALUE) {
      throw new IOException("layer index is damaged: a path of " + n + " bytes");
    }
    return (int) n;
  }

  private long checkedPath(long at, int length) throws IOException {
    if (at < 0 || at + length > length(IndexFormat.PATHS)) {
      throw new IOException("layer index is damaged: a path lies outside its section");
    }
    return sections[IndexFormat.PATHS] + at;
  }

  private int comparePath(long at, int length, byte[] key) throws IOException {
    checkedPath(at - sections[IndexFormat.PATHS], length);
    int n = Math.min(length, key.length);
    for (int i = 0; i < n; i++) {
      byte b = file.get(at + i);
      if (b != key[i]) {
        return PathOrder.rank(b) - PathOrder.rank(key[i]);
      }
    }
    return Integer.compare(length, key.length);
  }

  private String string(Varints.Cursor c) throws IOException {
    long v = c.varint();
    if ((v & 1) == 1) {
      long n = v >>> 1;
      if (n > Integer.MAX_VALUE) {
        throw new IOException("layer index is damaged: a string of " + n + " bytes");
      }
      return Names.decode(c.bytes((int) n));
    }
    long i = v >>> 1;
    if (i >= strings.length) {
      throw new IOException("layer index is damaged: no string " + i);
    }
    return strings[(int) i];
  }

  private long length(int section) {
    return sections[section + 1] - sections[section];
  }

  private Varints.Cursor cursor(int section) {
    return new Varints.Cursor(file, sections[section], sections[section + 1]);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof LayerIndex other) || !diffId.equals(other.diffId) || tarSize != other.tarSize) {
      return false;
    }
    return entries().equals(other.entries());
  }

  @Override
  public int hashCode() {
    return diffId.hashCode();
  }

  @Override
  public String toString() {
    return "LayerIndex{" + diffId + ", " + entryCount + " entries}";
  }

  /** The entries, decoded one at a time. */
  private final class Entries extends AbstractList<LayerEntry> implements RandomAccess {
    @Override
    public LayerEntry get(int index) {
      if (index < 0 || index >= entryCount) {
        throw new IndexOutOfBoundsException(index);
      }
      try {
        return entry(index);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public int size() {
      return entryCount;
    }
  }
}
