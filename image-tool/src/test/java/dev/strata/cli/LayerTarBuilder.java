package dev.strata.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Writes a layer tar entry by entry: directories, files, hard and symbolic links, whiteouts, opaque markers. */
final class LayerTarBuilder {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes);

  LayerTarBuilder() {
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
  }

  LayerTarBuilder dir(String path) throws IOException {
    TarArchiveEntry t = new TarArchiveEntry(path + "/");
    t.setMode(040755);
    return put(t, null);
  }

  /** A regular file of {@code size} bytes, each {@code fill}. */
  LayerTarBuilder file(String path, int size, char fill) throws IOException {
    return file(path, String.valueOf(fill).repeat(size));
  }

  LayerTarBuilder file(String path, String content) throws IOException {
    TarArchiveEntry t = new TarArchiveEntry(path, true);
    t.setMode(0100644);
    return put(t, content.getBytes(StandardCharsets.UTF_8));
  }

  LayerTarBuilder hardLink(String path, String target) throws IOException {
    TarArchiveEntry t = new TarArchiveEntry(path, TarArchiveEntry.LF_LINK);
    t.setLinkName(target);
    t.setMode(0100644);
    return put(t, null);
  }

  LayerTarBuilder symlink(String path, String target) throws IOException {
    TarArchiveEntry t = new TarArchiveEntry(path, TarArchiveEntry.LF_SYMLINK);
    t.setLinkName(target);
    t.setMode(0120777);
    return put(t, null);
  }

  /** {@code .wh.NAME} beside {@code path}: deletes it from the layers below. */
  LayerTarBuilder whiteout(String path) throws IOException {
    int slash = path.lastIndexOf('/');
    return file(path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1), "");
  }

  /** {@code DIR/.wh..wh..opq}: hides everything the layers below hold in DIR. */
  LayerTarBuilder opaque(String dir) throws IOException {
    return file(dir + "/.wh..wh..opq", "");
  }

  byte[] build() throws IOException {
    tar.close();
    return bytes.toByteArray();
  }

  private LayerTarBuilder put(TarArchiveEntry t, byte[] content) throws IOException {
    t.setModTime(946684800_000L);
    if (content != null) {
      t.setSize(content.length);
    }
    tar.putArchiveEntry(t);
    if (content != null) {
      tar.write(content);
    }
    tar.closeArchiveEntry();
    return this;
  }
}
