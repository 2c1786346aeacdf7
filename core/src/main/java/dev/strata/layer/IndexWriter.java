package dev.strata.layer;

import dev.strata.digest.Digest;
import dev.strata.host.Names;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes an index file ({@link IndexFormat}) from a checked layer: each section streamed to a
 * scratch file of its own, then all of them copied after the header into one file, hashed on
 * the way. Memory holds buffers and the table of owner and xattr names (bounded: past
 * {@link #MAX_STRINGS} distinct ones, a name is written where it is used).
 */
final class IndexWriter {
  static final int MAX_STRINGS = 4096;

  private final Path scratch;
  private final Map<String, Integer> strings = new HashMap<>();
  private final List<byte[]> table = new ArrayList<>();
  private final long[] offsets = new long[IndexFormat.SECTIONS];
  /** The digests written lately, to their numbers: bounded, as everything a build holds. */
  private final Map<Digest, Integer> recentObjects = new java.util.LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Digest, Integer> eldest) {
      return size() > MAX_STRINGS;
    }
  };
  private Out objects;
  private int objectCount;

  IndexWriter(Path scratch) {
    this.scratch = scratch;
  }

  /**
   * Writes the index of a layer to {@code target}: its entries from {@code spill}, hard links
   * from {@code links}, the positions in path order from {@code byPath}, the tree's nodes from
   * {@code nodes} (sorted, as {@link TreeWalk} makes them).
   */
  void write(Path target, Digest diffId, long tarSize, Spill spill, long entries, LinkGroups links, Path byPath,
      ExternalSort.Cursor nodes) throws IOException {
    Path records = section("records");
    Path recordAt = section("record-at");
    Path paths = section("paths");
    Path objectFile = section("objects");
    try (Spill.Reader in = spill.read();
        Out rec = new Out(records); Out at = new Out(recordAt); Out path = new Out(paths);
        Out obj = new Out(objectFile)) {
      objects = obj;
      for (long i = 0; i < entries; i++) {
        Spill.Entry s = in.next();
        at.u64(rec.count);
        byte[] p = Names.encode(s.entry().path());
        record(rec, s, links == null ? 0 : links.group(i), links != null && links.isRoot(i), path.count, p.length);
        path.write(p);
      }
    }
    Path nodeFile = section("nodes");
    Path names = section("names");
    long nodeCount = 0;
    try (Out node = new Out(nodeFile); Out name = new Out(names)) {
      long nextChild = 1;
      for (byte[] n = nodes.next(); n != null; n = nodes.next()) {
        int children = TreeWalk.getInt(n, 16);
        int nameLength = n.length - 20;
        node.u64(name.count << 16 | nameLength);
        node.u32(children > 0 ? (int) nextChild : 0);
        node.u32(children);
        node.u32(TreeWalk.getInt(n, 12));
        node.write(n[10]);
        node.write(n[11]);
        node.write(0);
        node.write(0);
        name.write(n, 20, nameLength);
        nextChild += children;
        nodeCount++;
      }
    }
    Path groups = section("groups");
    try (Out g = new Out(groups)) {
      for (int i = 1; links != null && i <= links.count(); i++) {
        g.u32(links.root(i));
        g.u32(links.names(i));
      }
    }
    ByteArrayOutputStream tail = new ByteArrayOutputStream();
    Varints.write(tail, table.size());
    for (byte[] s : table) {
      Varints.write(tail, s.length);
      tail.write(s);
    }
    byte[] stringBytes = tail.toByteArray();
    tail.reset();
    byte[] algorithm = Names.encode(diffId.algorithm());
    Varints.write(tail, algorithm.length);
    tail.write(algorithm);
    tail.write(diffId.raw());
    byte[] diffBytes = tail.toByteArray();

    Path[] files = {records, recordAt, paths, byPath, nodeFile, names, groups, objectFile};
    long at = IndexFormat.HEADER;
    for (int i = 0; i < files.length; i++) {
      offsets[i] = at;
      at += Files.size(files[i]);
    }
    offsets[IndexFormat.STRINGS] = at;
    offsets[IndexFormat.DIFF_ID] = at + stringBytes.length;
    offsets[IndexFormat.END] = at + stringBytes.length + diffBytes.length;

    MessageDigest sha = Digest.newMessageDigest(Digest.SHA256);
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(target), 1 << 16)) {
      byte[] header = header(tarSize, entries, nodeCount, links == null ? 0 : links.count());
      sha.update(header);
      out.write(header);
      byte[] buffer = new byte[1 << 16];
      for (Path f : files) {
        try (InputStream in = Files.newInputStream(f)) {
          for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            sha.update(buffer, 0, n);
            out.write(buffer, 0, n);
          }
        }
        Files.delete(f);
      }
      for (byte[] b : new byte[][] {stringBytes, diffBytes}) {
        sha.update(b);
        out.write(b);
      }
      out.write(sha.digest());
    }
  }

  private byte[] header(long tarSize, long entries, long nodes, long groups) {
    byte[] h = new byte[IndexFormat.HEADER];
    System.arraycopy(IndexFormat.MAGIC, 0, h, 0, IndexFormat.MAGIC.length);
    h[8] = IndexFormat.VERSION;
    long[] fields = {tarSize, entries, nodes, groups};
    for (int i = 0; i < fields.length; i++) {
      putLong(h, 16 + 8 * i, fields[i]);
    }
    for (int i = 0; i < IndexFormat.SECTIONS; i++) {
      putLong(h, 48 + 8 * i, offsets[i]);
    }
    return h;
  }

  private static void putLong(byte[] b, int at, long v) {
    for (int i = 0; i < 8; i++) {
      b[at + i] = (byte) (v >>> (8 * i));
    }
  }

  private Path section(String name) throws IOException {
    return Files.createTempFile(scratch, name + "-", ".bin");
  }

  private void record(Out out, Spill.Entry s, int group, boolean root, long pathAt, int pathLength) throws IOException {
    LayerEntry e = s.entry();
    EntryKind kind = e.kind();
    out.varint(pathAt);
    out.varint(pathLength);
    out.write(kind.ordinal());
    out.varint(e.mode());
    out.varint(e.uid());
    out.varint(e.gid());
    string(out, e.uname());
    string(out, e.gname());
    out.varint(Varints.zigzag(e.mtimeSeconds()));
    out.varint(e.mtimeNanos());
    boolean ownObject = kind == EntryKind.HARDLINK && root && s.below() != null;
    out.varint(ownObject ? s.below().size() : kind == EntryKind.HARDLINK ? 0 : e.size());
    out.varint(group);
    if (kind == EntryKind.FILE) {
      digest(out, e.object());
    } else if (kind == EntryKind.HARDLINK) {
      digest(out, ownObject ? s.below().object() : null);
    }
    if (kind == EntryKind.SYMLINK || kind == EntryKind.HARDLINK) {
      byte[] t = Names.encode(e.linkTarget());
      out.varint(t.length);
      out.write(t);
    }
    if (kind == EntryKind.CHAR_DEVICE || kind == EntryKind.BLOCK_DEVICE) {
      out.varint(e.devMajor());
      out.varint(e.devMinor());
    }
    out.varint(e.xattrs().size());
    for (Map.Entry<String, Bytes> x : e.xattrs().entrySet()) {
      string(out, x.getKey());
      byte[] v = x.getValue().toArray();
      out.varint(v.length);
      out.write(v);
    }
  }

  private void string(Out out, String s) throws IOException {
    Integer i = strings.get(s);
    if (i == null && table.size() < MAX_STRINGS) {
      i = table.size();
      strings.put(s, i);
      table.add(Names.encode(s));
    }
    if (i != null) {
      out.varint((long) i << 1);
    } else {
      byte[] b = Names.encode(s);
      out.varint(((long) b.length << 1) | 1);
      out.write(b);
    }
  }

  private void digest(Out out, Digest d) throws IOException {
    if (d == null) {
      out.write(0);
      return;
    }
    Integer n = recentObjects.get(d);
    if (n == null) {
      n = objectCount++;
      objects.write(d.raw());
      recentObjects.put(d, n);
    }
    out.varint(n + 1L);
  }

  /** A buffered section file that counts what it was given. */
  private static final class Out extends OutputStream {
    private final OutputStream out;
    long count;

    Out(Path file) throws IOException {
      out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }

    void varint(long v) throws IOException {
      Varints.write(this, v);
    }

    void u32(int v) throws IOException {
      for (int i = 0; i < 4; i++) {
        write(v >>> (8 * i));
      }
    }

    void u64(long v) throws IOException {
      for (int i = 0; i < 8; i++) {
        write((int) (v >>> (8 * i)));
      }
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }
}
