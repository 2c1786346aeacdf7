package dev.strata.cli;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.strata.blob.ContentStore;
import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.image.ImageIndex;
import dev.strata.image.Manifest;
import dev.strata.image.MediaType;
import dev.strata.image.json.ImageJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Writes small OCI layouts from hand-made layer tars, for tests that need hostile images. */
final class OciLayouts {
  private OciLayouts() {}

  /**
   * A tar of regular files (name → content), symlinks (name → "->target") and hard links
   * (name → "=>target"); names and link targets of any length go in PAX records.
   */
  static byte[] tar(Map<String, String> entries) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (var e : entries.entrySet()) {
        TarArchiveEntry t;
        if (e.getValue().startsWith("->") || e.getValue().startsWith("=>")) {
          t = new TarArchiveEntry(e.getKey(), e.getValue().startsWith("->") ? TarArchiveEntry.LF_SYMLINK
              : TarArchiveEntry.LF_LINK);
          t.setLinkName(e.getValue().substring(2));
          tar.putArchiveEntry(t);
        } else {
          byte[] content = e.getValue().getBytes(StandardCharsets.UTF_8);
          t = new TarArchiveEntry(e.getKey(), true);
          t.setSize(content.length);
          t.setMode(0100644);
          tar.putArchiveEntry(t);
          tar.write(content);
        }
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  /** Writes an image whose one layer holds a file and a file at {@code ../../escaped.txt}. */
  static Path pathTraversal(Path dir, String tag) throws IOException {
    Map<String, String> entries = new LinkedHashMap<>();
    entries.put("ok.txt", "fine");
    entries.put("../../escaped.txt", "gotcha");
    return write(dir, tag, List.of(tar(entries)));
  }

  /**
   * Returns the files a layer of {@link #pathTraversal} wrote outside a store in {@code dir}:
   * named escaped.txt, in {@code dir} or beside it (its name climbs two directories).
   */
  static List<Path> escaped(Path dir) throws IOException {
    List<Path> found = new ArrayList<>();
    if (Files.exists(dir.resolveSibling("escaped.txt"))) {
      found.add(dir.resolveSibling("escaped.txt"));
    }
    try (Stream<Path> all = Files.walk(dir)) {
      all.filter(p -> p.getFileName().toString().equals("escaped.txt")).forEach(found::add);
    }
    return found;
  }

  /** Writes an image of gzip layers made from {@code tars} to {@code dir} as {@code tag}. */
  static Path write(Path dir, String tag, List<byte[]> tars) throws IOException {
    List<byte[]> blobs = new ArrayList<>();
    for (byte[] t : tars) {
      blobs.add(gzip(t));
    }
    return write(dir, tag, tars, blobs, MediaType.OCI_LAYER_GZIP);
  }

  /** Writes an image whose layer blobs and diff ids are given separately (to build lies). */
  static Path write(Path dir, String tag, List<byte[]> tars, List<byte[]> blobs, String layerType) throws IOException {
    ContentStore store = ContentStore.flat(dir.resolve("blobs"), dir.resolve("tmp"));
    List<String> diffIds = new ArrayList<>();
    ImmutableList.Builder<Descriptor> layers = ImmutableList.builder();
    for (int i = 0; i < tars.size(); i++) {
      diffIds.add(Digest.sha256(tars.get(i)).toString());
      Digest d = store.write(blobs.get(i));
      layers.add(Descriptor.of(layerType, d, blobs.get(i).length));
    }
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("architecture", "amd64");
    config.put("os", "linux");
    config.put("rootfs", Map.of("type", "layers", "diff_ids", diffIds));
    byte[] configBytes = ImageJson.bytes(config);
    Digest configDigest = store.write(configBytes);
    byte[] manifest = ImageJson.write(new Manifest(MediaType.OCI_MANIFEST,
        Descriptor.of(MediaType.OCI_CONFIG, configDigest, configBytes.length), layers.build(), ImmutableMap.of()));
    return tagManifest(dir, store, tag, manifest);
  }

  /** Stores raw manifest bytes (valid or not) and tags them. */
  static Path tagManifest(Path dir, ContentStore store, String tag, byte[] manifest) throws IOException {
    Digest manifestDigest = store.write(manifest);
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    Files.write(dir.resolve("index.json"), ImageJson.write(new ImageIndex(null, ImmutableList.of(
        new Descriptor(MediaType.OCI_MANIFEST, manifestDigest, manifest.length,
            ImmutableMap.of(Descriptor.REF_NAME, tag), null)), ImmutableMap.of())));
    Files.deleteIfExists(dir.resolve("tmp"));
    return dir;
  }
}
