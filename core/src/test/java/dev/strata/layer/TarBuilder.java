package dev.strata.layer;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.github.luben.zstd.ZstdOutputStream;
import dev.strata.overlay.Whiteouts;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Builds layer tars for tests, entry by entry, with commons-compress writing the headers (PAX for
 * long or non-ASCII names, big numbers and sub-second mtimes).
 *
 * <p>Names are written exactly as given: nothing strips a leading slash or {@code ..}, so hostile
 * layers are as easy to write as good ones. Attribute setters ({@link #mode}, {@link #owner},
 * {@link #mtime}, {@link #xattr}, {@link #paxRecord}) apply to the next entry only. Binary xattr
 * values and raw PAX records are spliced into the PAX header as raw bytes, since commons-compress
 * writes PAX values as UTF-8 text and would mangle bytes of 0x80 and above.
 *
 * <pre>{@code
 * byte[] tar = new TarBuilder().dir("etc").file("etc/hosts", "127.0.0.1 localhost\n")
 *     .symlink("etc/mtab", "/proc/mounts").toBytes();
 * }</pre>
 */
public final class TarBuilder {
  /** The mtime of entries that do not set one, so fixtures are reproducible. */
  public static final Instant DEFAULT_MTIME = Instant.ofEpochSecond(1_700_000_000L);

  private static final int BLOCK = 512;

  /** One piece of the archive, written in order. */
  @FunctionalInterface
  private interface Chunk {
    void writeTo(OutputStream out) throws IOException;
  }

  /** Writes an entry's content into the open tar stream. */
  @FunctionalInterface
  private interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  private final List<Chunk> chunks = new ArrayList<>();
  private boolean endMarker = true;

  // Attributes of the next entry; reset after each entry.
  private Integer mode;
  private long uid;
  private long gid;
  private String uname = "";
  private String gname = "";
  private Instant mtime = DEFAULT_MTIME;
  private final Map<String, String> textXattrs = new LinkedHashMap<>();
  private final Map<String, byte[]> rawRecords = new LinkedHashMap<>();

  /** Adds a regular file with UTF-8 {@code content}. */
  public TarBuilder file(String path, String content) {
    return file(path, content.getBytes(UTF_8));
  }

  /** Adds a regular file. */
  public TarBuilder file(String path, byte[] content) {
    byte[] copy = content.clone();
    return entry(path, TarConstants.LF_NORMAL, 0644, copy.length, null, 0, 0, out -> out.write(copy));
  }

  /** Adds a regular file of {@code size} zero bytes, generated while writing (not held in memory). */
  public TarBuilder zeros(String path, long size) {
    return entry(path, TarConstants.LF_NORMAL, 0644, size, null, 0, 0, out -> {
      byte[] buffer = new byte[1 << 16];
      for (long left = size; left > 0; left -= buffer.length) {
        out.write(buffer, 0, (int) Math.min(buffer.length, left));
      }
    });
  }

  /** Adds a directory; a trailing slash is added to the name as tar writes it. */
  public TarBuilder dir(String path) {
    return entry(path.endsWith("/") ? path : path + "/", TarConstants.LF_DIR, 0755, 0, null, 0, 0, null);
  }

  /** Adds a symbolic link to {@code target} (written as given, never resolved). */
  public TarBuilder symlink(String path, String target) {
    return entry(path, TarConstants.LF_SYMLINK, 0777, 0, target, 0, 0, null);
  }

  /** Adds a hard link to the earlier entry {@code target}. */
  public TarBuilder hardlink(String path, String target) {
    return entry(path, TarConstants.LF_LINK, 0644, 0, target, 0, 0, null);
  }

  /** Adds a character device node. */
  public TarBuilder charDevice(String path, int major, int minor) {
    return entry(path, TarConstants.LF_CHR, 0666, 0, null, major, minor, null);
  }

  /** Adds a block device node. */
  public TarBuilder blockDevice(String path, int major, int minor) {
    return entry(path, TarConstants.LF_BLK, 0660, 0, null, major, minor, null);
  }

  /** Adds a named pipe. */
  public TarBuilder fifo(String path) {
    return entry(path, TarConstants.LF_FIFO, 0644, 0, null, 0, 0, null);
  }

  /** Adds the whiteout that deletes {@code path} from the layers below: {@code dir/.wh.name}. */
  public TarBuilder whiteout(String path) {
    int slash = path.lastIndexOf('/');
    String name = path.substring(slash + 1);
    return file(path.substring(0, slash + 1) + Whiteouts.whiteoutName(name), new byte[0]);
  }

  /** Adds the opaque marker {@code dir/.wh..wh..opq} that hides what lower layers hold in {@code dir}. */
  public TarBuilder opaque(String dir) {
    String prefix = dir.isEmpty() || dir.endsWith("/") ? dir : dir + "/";
    return file(prefix + Whiteouts.OPAQUE_MARKER, new byte[0]);
  }

  /**
   * Adds an entry of any type flag with exactly this name (no slash added or removed) and
   * content; the header's size is the content's length.
   */
  public TarBuilder raw(String name, byte typeFlag, byte[] content) {
    byte[] copy = content.clone();
    return entry(name, typeFlag, 0644, copy.length, null, 0, 0, copy.length == 0 ? null : out -> out.write(copy));
  }

  /**
   * Adds a hand-built ustar header block with a valid checksum that declares {@code declaredSize}
   * bytes of content, and no content: for headers that lie about what follows.
   */
  public TarBuilder header(String name, char typeFlag, long declaredSize) {
    byte[] block = ustarHeader(name, typeFlag, declaredSize);
    chunks.add(out -> out.write(block));
    return this;
  }

  /**
   * Adds a PAX header of its own, an entry's ('x', applying to the next entry) or a global one
   * ('g'), holding exactly {@code records}: for headers where no writer puts them.
   */
  public TarBuilder pax(char type, Map<String, byte[]> records) {
    chunks.add(out -> {
      byte[] body = encodeRecords(new LinkedHashMap<>(records));
      out.write(ustarHeader(type == 'g' ? "pax_global_header" : "PaxHeaders/next", type, body.length));
      out.write(body);
      out.write(new byte[padded(body.length) - body.length]);
    });
    return this;
  }

  /** Appends bytes as they are, with no block padding. */
  public TarBuilder bytes(byte[] bytes) {
    byte[] copy = bytes.clone();
    chunks.add(out -> out.write(copy));
    return this;
  }

  /** Leaves out the two zero blocks that end an archive. */
  public TarBuilder withoutEndMarker() {
    endMarker = false;
    return this;
  }

  /** Sets the permission bits (and setuid, setgid, sticky) of the next entry. */
  public TarBuilder mode(int mode) {
    this.mode = mode;
    return this;
  }

  /** Sets the owner of the next entry. */
  public TarBuilder owner(long uid, long gid, String uname, String gname) {
    this.uid = uid;
    this.gid = gid;
    this.uname = uname;
    this.gname = gname;
    return this;
  }

  /**
   * Sets the mtime of the next entry. Sub-second times go into a PAX header, which commons-compress
   * writes to 100 ns; use {@link #paxRecord} with key "mtime" for all nine digits.
   */
  public TarBuilder mtime(Instant mtime) {
    this.mtime = mtime;
    return this;
  }

  /** Adds the extended attribute {@code name} with a UTF-8 text value to the next entry. */
  public TarBuilder xattr(String name, String value) {
    textXattrs.put(name, value);
    return this;
  }

  /** Adds the extended attribute {@code name} with a binary value, written byte-exact. */
  public TarBuilder xattr(String name, byte[] value) {
    return paxRecord("SCHILY.xattr." + name, value);
  }

  /**
   * Puts the record {@code key=value} with raw bytes into the PAX header of the next entry,
   * replacing a record of the same key that commons-compress would write.
   */
  public TarBuilder paxRecord(String key, byte[] value) {
    rawRecords.put(key, value.clone());
    return this;
  }

  /** As {@link #paxRecord(String, byte[])} with a UTF-8 value. */
  public TarBuilder paxRecord(String key, String value) {
    return paxRecord(key, value.getBytes(UTF_8));
  }

  /** Returns the archive. */
  public byte[] toBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeTo(out);
    return out.toByteArray();
  }

  /** Returns the archive, gzip-compressed. */
  public byte[] gzip() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out, 1 << 16)) {
      writeTo(gz);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Returns the archive, zstd-compressed. */
  public byte[] zstd() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZstdOutputStream zs = new ZstdOutputStream(out)) {
      writeTo(zs);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Writes the archive to {@code out}, streaming large generated content. */
  public void writeTo(OutputStream out) {
    try {
      for (Chunk chunk : chunks) {
        chunk.writeTo(out);
      }
      if (endMarker) {
        out.write(new byte[2 * BLOCK]);
      }
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private TarBuilder entry(String name, byte typeFlag, int defaultMode, long size, String link, int major,
      int minor, Content content) {
    TarArchiveEntry e = new TarArchiveEntry(name, typeFlag, true);
    e.setMode(mode != null ? mode : defaultMode);
    e.setSize(size);
    e.setUserId(uid);
    e.setGroupId(gid);
    e.setUserName(uname);
    e.setGroupName(gname);
    e.setLastModifiedTime(FileTime.from(mtime));
    if (link != null) {
      e.setLinkName(link);
    }
    if (typeFlag == TarConstants.LF_CHR || typeFlag == TarConstants.LF_BLK) {
      e.setDevMajor(major);
      e.setDevMinor(minor);
    }
    textXattrs.forEach((k, v) -> e.addPaxHeader("SCHILY.xattr." + k, v));
    Map<String, byte[]> records = new LinkedHashMap<>(rawRecords);
    chunks.add(out -> {
      if (records.isEmpty()) {
        writeEntry(out, e, content);
      } else {
        ByteArrayOutputStream scratch = new ByteArrayOutputStream();
        writeEntry(scratch, e, content);
        out.write(splicePax(scratch.toByteArray(), name, records));
      }
    });
    mode = null;
    uid = 0;
    gid = 0;
    uname = "";
    gname = "";
    mtime = DEFAULT_MTIME;
    textXattrs.clear();
    rawRecords.clear();
    return this;
  }

  /** Writes one entry (its PAX header, header block and padded content) and no end marker. */
  private static void writeEntry(OutputStream out, TarArchiveEntry e, Content content) throws IOException {
    // A tar stream per entry, with 512-byte blocks, writes every block through at closeArchiveEntry;
    // it is never finished, so no end marker is written between entries.
    TarArchiveOutputStream tar = new TarArchiveOutputStream(new FilterOutputStream(out) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void close() throws IOException {
        flush();
      }
    }, BLOCK, UTF_8.name());
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    tar.setAddPaxHeadersForNonAsciiNames(true);
    tar.putArchiveEntry(e);
    if (content != null) {
      content.writeTo(tar);
    }
    tar.closeArchiveEntry();
    tar.flush();
  }

  /**
   * Replaces or adds {@code records} in the PAX header that starts {@code entry} (making one if
   * there is none), fixing the header's size and checksum.
   */
  private static byte[] splicePax(byte[] entry, String name, Map<String, byte[]> records) throws IOException {
    Map<String, byte[]> merged = new LinkedHashMap<>();
    byte[] paxHeader;
    int rest;
    if (entry[156] == 'x') {
      int size = (int) Long.parseLong(new String(entry, 124, 11, US_ASCII).trim(), 8);
      merged.putAll(parseRecords(Arrays.copyOfRange(entry, BLOCK, BLOCK + size)));
      paxHeader = Arrays.copyOf(entry, BLOCK);
      rest = BLOCK + padded(size);
    } else {
      paxHeader = ustarHeader(truncate("PaxHeaders/" + ascii(name), 99), 'x', 0);
      rest = 0;
    }
    merged.putAll(records);
    byte[] payload = encodeRecords(merged);
    writeOctal(paxHeader, 124, 12, payload.length);
    writeChecksum(paxHeader);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(paxHeader);
    out.write(payload);
    out.write(new byte[padded(payload.length) - payload.length]);
    out.write(entry, rest, entry.length - rest);
    return out.toByteArray();
  }

  private static Map<String, byte[]> parseRecords(byte[] pax) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    int pos = 0;
    while (pos < pax.length) {
      int space = indexOf(pax, (byte) ' ', pos);
      int length = Integer.parseInt(new String(pax, pos, space - pos, US_ASCII));
      int eq = indexOf(pax, (byte) '=', space);
      out.put(new String(pax, space + 1, eq - space - 1, UTF_8), Arrays.copyOfRange(pax, eq + 1, pos + length - 1));
      pos += length;
    }
    return out;
  }

  /** Encodes "LENGTH KEY=VALUE\n" records, where LENGTH counts its own digits too. */
  static byte[] encodeRecords(Map<String, byte[]> records) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Map.Entry<String, byte[]> r : records.entrySet()) {
      byte[] key = r.getKey().getBytes(UTF_8);
      int body = 1 + key.length + 1 + r.getValue().length + 1; // ' ' key '=' value '\n'
      int length = body + Integer.toString(body).length();
      if (Integer.toString(length).length() != Integer.toString(body).length()) {
        length++;
      }
      out.write(Integer.toString(length).getBytes(US_ASCII));
      out.write(' ');
      out.write(key);
      out.write('=');
      out.write(r.getValue());
      out.write('\n');
    }
    return out.toByteArray();
  }

  /** Returns a ustar header block for {@code name} with a valid checksum. */
  static byte[] ustarHeader(String name, char typeFlag, long size) {
    byte[] h = new byte[BLOCK];
    byte[] n = name.getBytes(UTF_8);
    System.arraycopy(n, 0, h, 0, Math.min(n.length, 100));
    writeOctal(h, 100, 8, 0644);
    writeOctal(h, 108, 8, 0);
    writeOctal(h, 116, 8, 0);
    writeOctal(h, 124, 12, size);
    writeOctal(h, 136, 12, DEFAULT_MTIME.getEpochSecond());
    h[156] = (byte) typeFlag;
    System.arraycopy("ustar\0".getBytes(US_ASCII), 0, h, 257, 6);
    h[263] = '0';
    h[264] = '0';
    writeChecksum(h);
    return h;
  }

  private static void writeOctal(byte[] h, int offset, int length, long value) {
    String s = String.format("%0" + (length - 1) + "o", value);
    if (s.length() > length - 1) {
      throw new IllegalArgumentException(value + " does not fit a " + length + "-byte octal field");
    }
    System.arraycopy(s.getBytes(US_ASCII), 0, h, offset, length - 1);
    h[offset + length - 1] = 0;
  }

  private static void writeChecksum(byte[] h) {
    Arrays.fill(h, 148, 156, (byte) ' ');
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    byte[] s = String.format("%06o", sum).getBytes(US_ASCII);
    System.arraycopy(s, 0, h, 148, 6);
    h[154] = 0;
    h[155] = ' ';
  }

  private static int padded(long size) {
    return (int) ((size + BLOCK - 1) / BLOCK * BLOCK);
  }

  private static int indexOf(byte[] a, byte b, int from) {
    for (int i = from; i < a.length; i++) {
      if (a[i] == b) {
        return i;
      }
    }
    throw new IllegalArgumentException("malformed PAX record");
  }

  private static String ascii(String s) {
    return s.replaceAll("[^\\x20-\\x7e]", "_");
  }

  private static String truncate(String s, int max) {
    return s.length() > max ? s.substring(0, max) : s;
  }
}
