package dev.strata.layer;

import com.google.common.collect.ImmutableSortedMap;
import dev.strata.digest.Digest;
import dev.strata.host.Names;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The entries of a layer being indexed, in tar order, written to a scratch file as they are read
 * and read back once the layer has been checked: what a build holds of them in between is a
 * buffer, whatever the layer's size.
 */
final class Spill implements Closeable {
  private static final EntryKind[] KINDS = EntryKind.values();

  /**
   * One spilled entry: its name as the tar spelled it (for messages), the entry, and for a hard
   * link what the layers below held at its target when it was read (null if nothing).
   */
  record Entry(String raw, LayerEntry entry, LayerEntry below) {}

  private final Path file;
  private DataOutputStream out;

  Spill(Path scratch) throws IOException {
    file = Files.createTempFile(scratch, "entries-", ".spill");
    out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16));
  }

  void add(String raw, LayerEntry e, LayerEntry below) throws IOException {
    string(raw.equals(e.path()) ? "" : raw);
    string(e.path());
    out.write(e.kind().ordinal());
    Varints.write(out, e.mode());
    Varints.write(out, e.uid());
    Varints.write(out, e.gid());
    string(e.uname());
    string(e.gname());
    Varints.write(out, Varints.zigzag(e.mtimeSeconds()));
    Varints.write(out, e.mtimeNanos());
    Varints.write(out, e.size());
    digest(e.object());
    out.write(e.linkTarget() == null ? 0 : 1);
    if (e.linkTarget() != null) {
      string(e.linkTarget());
    }
    Varints.write(out, e.devMajor());
    Varints.write(out, e.devMinor());
    Varints.write(out, e.xattrs().size());
    for (Map.Entry<String, Bytes> x : e.xattrs().entrySet()) {
      string(x.getKey());
      byte[] v = x.getValue().toArray();
      Varints.write(out, v.length);
      out.write(v);
    }
    digest(below == null ? null : below.object());
    Varints.write(out, below == null ? 0 : below.size());
  }

  /** Ends writing; returns a reader of the entries in the order they were added. */
  Reader read() throws IOException {
    if (out != null) {
      out.close();
      out = null;
    }
    return new Reader(new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16)));
  }

  @Override
  public void close() throws IOException {
    if (out != null) {
      out.close();
      out = null;
    }
    Files.deleteIfExists(file);
  }

  private void string(String s) throws IOException {
    byte[] b = Names.encode(s);
    Varints.write(out, b.length);
    out.write(b);
  }

  private void digest(Digest d) throws IOException {
    if (d == null) {
      out.write(0);
    } else {
      out.write(1);
      out.write(d.raw());
    }
  }

  /** Reads spilled entries back, in order. */
  static final class Reader implements Closeable {
    private final DataInputStream in;

    Reader(DataInputStream in) {
      this.in = in;
    }

    Entry next() throws IOException {
      String raw = string();
      String path = string();
      EntryKind kind = KINDS[in.readUnsignedByte()];
      int mode = (int) Varints.read(in);
      long uid = Varints.read(in);
      long gid = Varints.read(in);
      String uname = string();
      String gname = string();
      long seconds = Varints.unzigzag(Varints.read(in));
      int nanos = (int) Varints.read(in);
      long size = Varints.read(in);
      Digest object = digest();
      String link = in.readUnsignedByte() == 1 ? string() : null;
      int major = (int) Varints.read(in);
      int minor = (int) Varints.read(in);
      int xattrCount = (int) Varints.read(in);
      ImmutableSortedMap<String, Bytes> xattrs = ImmutableSortedMap.of();
      if (xattrCount > 0) {
        ImmutableSortedMap.Builder<String, Bytes> b = ImmutableSortedMap.naturalOrder();
        for (int i = 0; i < xattrCount; i++) {
          String name = string();
          byte[] v = new byte[(int) Varints.read(in)];
          in.readFully(v);
          b.put(name, Bytes.copyOf(v));
        }
        xattrs = b.build();
      }
      Digest belowObject = digest();
      long belowSize = Varints.read(in);
      LayerEntry e = new LayerEntry(path, kind, mode, uid, gid, uname, gname, seconds, nanos, size, link, major, minor,
          object, 0, xattrs);
      LayerEntry below = belowObject == null ? null : new LayerEntry(link, EntryKind.FILE, 0, 0, 0, "", "", 0, 0,
          belowSize, null, 0, 0, belowObject, 0, null);
      return new Entry(raw.isEmpty() ? path : raw, e, below);
    }

    private String string() throws IOException {
      byte[] b = new byte[(int) Varints.read(in)];
      in.readFully(b);
      return Names.decode(b);
    }

    private Digest digest() throws IOException {
      if (in.readUnsignedByte() == 0) {
        return null;
      }
      byte[] raw = new byte[32];
      in.readFully(raw);
      return Digest.fromRaw(Digest.SHA256, raw);
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
