package dev.strata.layer;

import dev.strata.host.Names;
import dev.strata.overlay.Whiteouts;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes a layer tar that any OCI tool reads and that is the same bytes every time for the
 * same content (entries in the order they are given: callers walk directories in
 * {@link Names#BYTE_ORDER}): PAX format, names and link targets of any length and of any bytes,
 * mtimes to the nanosecond, xattrs byte for byte, no user or group names.
 *
 * <p>A name is written as its bytes ({@link Names#encode}): in the ustar header when it is ASCII
 * and fits, else in a PAX {@code path} or {@code linkpath} record, with an ASCII stand-in in the
 * header as Go's archive/tar writes one. A name that is not UTF-8 is marked
 * {@code hdrcharset=BINARY}, POSIX's word that the records are bytes and not UTF-8: Python's
 * tarfile then decodes them as file names, and libarchive (bsdtar 3.6, in a UTF-8 locale) keeps
 * them, where without the mark it says "Pathname can't be converted from UTF-8" and exits 1.
 * Go's archive/tar (umoci, containerd) keeps PAX names as bytes whatever the mark; GNU tar 1.34
 * does too, and prints "Ignoring unknown extended header keyword 'hdrcharset'" for each entry
 * that has it.
 *
 * <p>The tar library frames the archive; the PAX extended header of each entry is written
 * here, because the library writes PAX values as UTF-8 text (a binary
 * {@code security.capability} would be corrupted) and rounds mtimes to 100 ns.
 */
public final class LayerTarWriter implements Closeable {
  private static final int USTAR_NAME_MAX = 100;
  private static final long USTAR_SIZE_MAX = 077777777777L;

  /** Owner, mode, time and xattrs of an entry. */
  public record Meta(int mode, long uid, long gid, long mtimeSeconds, int mtimeNanos, SortedMap<String, byte[]> xattrs) {
    public Meta {
      xattrs = xattrs == null ? new TreeMap<>() : xattrs;
    }
  }

  private final TarArchiveOutputStream tar;
  /** One buffer for every file's bytes: a new one per file (as transferTo makes) costs more than a small file. */
  private final byte[] buffer = new byte[64 * 1024];

  public LayerTarWriter(OutputStream out) {
    this.tar = new TarArchiveOutputStream(out);
    // Never let the library add a PAX header of its own: ours carries everything.
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_ERROR);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_STAR);
    tar.setAddPaxHeadersForNonAsciiNames(false);
  }

  public void directory(String path, Meta meta) throws IOException {
    write(path + "/", TarConstants.LF_DIR, meta, null, 0, null, 0, 0);
  }

  public void file(String path, Meta meta, long size, InputStream content) throws IOException {
    write(path, TarConstants.LF_NORMAL, meta, null, size, content, 0, 0);
  }

  public void symlink(String path, Meta meta, String target) throws IOException {
    write(path, TarConstants.LF_SYMLINK, meta, target, 0, null, 0, 0);
  }

  public void hardlink(String path, Meta meta, String target) throws IOException {
    write(path, TarConstants.LF_LINK, meta, target, 0, null, 0, 0);
  }

  /** A character ('3') or block ('4') device, or a fifo ('6'). */
  public void special(String path, byte type, Meta meta, int major, int minor) throws IOException {
    write(path, type, meta, null, 0, null, major, minor);
  }

  /** A whiteout of {@code name} in {@code dir}: deletes it from the layers below. */
  public void whiteout(String dir, String name) throws IOException {
    String path = Whiteouts.whiteoutPath(dir, name);
    write(path, TarConstants.LF_NORMAL, new Meta(0, 0, 0, 0, 0, null), null, 0, null, 0, 0);
  }

  /** Marks {@code dir} opaque: it hides what the layers below hold in it. */
  public void opaque(String dir) throws IOException {
    String path = Whiteouts.opaqueMarkerPath(dir);
    write(path, TarConstants.LF_NORMAL, new Meta(0, 0, 0, 0, 0, null), null, 0, null, 0, 0);
  }

  private void write(String name, byte type, Meta meta, String link, long size, InputStream content, int major,
      int minor) throws IOException {
    SortedMap<String, byte[]> pax = new TreeMap<>();
    String headerName = name;
    if (!fitsUstar(name)) {
      pax.put("path", Names.encode(name));
      headerName = placeholder(name);
    }
    String headerLink = link;
    if (link != null && !fitsUstar(link)) {
      pax.put("linkpath", Names.encode(link));
      headerLink = placeholder(link);
    }
    if (!Names.isUtf8(name) || (link != null && !Names.isUtf8(link))) {
      // POSIX's word that path and linkpath are bytes, not UTF-8 (see the class comment).
      pax.put("hdrcharset", utf8("BINARY"));
    }
    if (meta.mtimeNanos() != 0 || meta.mtimeSeconds() < 0 || meta.mtimeSeconds() > USTAR_SIZE_MAX) {
      pax.put("mtime", utf8(meta.mtimeSeconds() + (meta.mtimeNanos() == 0 ? "" : "." + nineDigits(meta.mtimeNanos()))));
    }
    if (size > USTAR_SIZE_MAX) {
      pax.put("size", utf8(Long.toString(size)));
    }
    for (Map.Entry<String, byte[]> x : meta.xattrs().entrySet()) {
      pax.put("SCHILY.xattr." + x.getKey(), x.getValue());
    }
    if (!pax.isEmpty()) {
      byte[] body = paxBody(pax);
      TarArchiveEntry header = new TarArchiveEntry(placeholder("PaxHeaders/" + withoutTrailingSlashes(name)),
          TarConstants.LF_PAX_EXTENDED_HEADER_LC);
      header.setSize(body.length);
      header.setModTime(0);
      tar.putArchiveEntry(header);
      tar.write(body);
      tar.closeArchiveEntry();
    }
    TarArchiveEntry e = new TarArchiveEntry(headerName, type);
    e.setMode(meta.mode() & 07777);
    e.setUserId(meta.uid());
    e.setGroupId(meta.gid());
    e.setUserName("");
    e.setGroupName("");
    e.setModTime(Math.max(0, Math.min(meta.mtimeSeconds(), USTAR_SIZE_MAX)) * 1000);
    if (link != null) {
      e.setLinkName(headerLink);
    }
    if (type == TarConstants.LF_CHR || type == TarConstants.LF_BLK) {
      e.setDevMajor(major);
      e.setDevMinor(minor);
    }
    e.setSize(size);
    tar.putArchiveEntry(e);
    if (content != null) {
      long copied = 0;
      for (int n; (n = content.read(buffer)) >= 0; ) {
        tar.write(buffer, 0, n);
        copied += n;
      }
      if (copied != size) {
        throw new IOException(Names.printable(name) + ": expected " + size + " bytes, got " + copied);
      }
    }
    tar.closeArchiveEntry();
  }

  /** {@code nanos} as nine digits, zeros first (String.format would cost more than the entry). */
  private static String nineDigits(int nanos) {
    String digits = Integer.toString(nanos);
    return "0".repeat(9 - digits.length()) + digits;
  }

  private static String withoutTrailingSlashes(String name) {
    int end = name.length();
    while (end > 0 && name.charAt(end - 1) == '/') {
      end--;
    }
    return name.substring(0, end);
  }

  private static boolean fitsUstar(String s) {
    if (s.length() > USTAR_NAME_MAX) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80 || s.charAt(i) == 0) {
        return false;
      }
    }
    return true;
  }

  /** An ASCII stand-in of at most 100 bytes for the header; readers take the PAX value. */
  private static String placeholder(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && sb.length() < USTAR_NAME_MAX - 10; i++) {
      char c = s.charAt(i);
      sb.append(c < 0x80 && c != 0 ? c : '_');
    }
    if (s.endsWith("/") && sb.charAt(sb.length() - 1) != '/') {
      sb.append('/');
    }
    return sb.toString();
  }

  /** Encodes PAX records "LENGTH KEY=VALUE\n", LENGTH counting its own digits. */
  static byte[] paxBody(SortedMap<String, byte[]> records) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Map.Entry<String, byte[]> r : records.entrySet()) {
      byte[] key = Names.encode(r.getKey());
      int rest = 1 + key.length + 1 + r.getValue().length + 1; // " " key "=" value "\n"
      int len = rest + 1;
      while (Integer.toString(len).length() + rest != len) {
        len = Integer.toString(len).length() + rest;
      }
      out.writeBytes(utf8(Integer.toString(len)));
      out.write(' ');
      out.writeBytes(key);
      out.write('=');
      out.writeBytes(r.getValue());
      out.write('\n');
    }
    return out.toByteArray();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Finishes the archive (end-of-archive blocks) and flushes. */
  @Override
  public void close() throws IOException {
    tar.finish();
    tar.flush();
  }

}
