package dev.strata.transfer;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.strata.digest.Digest;
import dev.strata.digest.DigestingInputStream;
import dev.strata.image.Descriptor;
import dev.strata.image.Image;
import dev.strata.image.Layer;
import dev.strata.image.Manifest;
import dev.strata.image.MediaType;
import dev.strata.image.Platform;
import dev.strata.image.json.ImageJson;
import dev.strata.layer.LayerStreams;
import dev.strata.layer.TarBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/** Small images made in memory for transfer tests, and what a test reads back from one. */
final class TestImage {
  private TestImage() {}

  /** The files of {@link #twoLayers()}, by path: what any copy of it must hold. */
  static final Map<String, byte[]> FILES = files();

  private static Map<String, byte[]> files() {
    Map<String, byte[]> files = new TreeMap<>();
    files.put("etc/hello", "hello from the bottom layer\n".getBytes(UTF_8));
    byte[] big = new byte[150_000];
    new Random(7).nextBytes(big);
    files.put("usr/share/data.bin", big);
    files.put("usr/share/note.txt", "on top\n".getBytes(UTF_8));
    return files;
  }

  /** Returns an OCI image of two layers: a gzip one holding etc/, an uncompressed one holding usr/. */
  static Image twoLayers() throws IOException {
    byte[] bottom = new TarBuilder().dir("etc").file("etc/hello", FILES.get("etc/hello")).toBytes();
    byte[] top = new TarBuilder().dir("usr").dir("usr/share")
        .file("usr/share/data.bin", FILES.get("usr/share/data.bin"))
        .file("usr/share/note.txt", FILES.get("usr/share/note.txt")).toBytes();
    return of(List.of(gzip(bottom), top), List.of(MediaType.OCI_LAYER_GZIP, MediaType.OCI_LAYER), List.of(bottom, top));
  }

  /** Returns the image of {@code blobs} (of media types {@code types}), whose uncompressed tars are {@code tars}. */
  static Image of(List<byte[]> blobs, List<String> types, List<byte[]> tars) throws IOException {
    Map<Digest, byte[]> store = new HashMap<>();
    List<Descriptor> layers = new ArrayList<>();
    List<String> diffIds = new ArrayList<>();
    for (int i = 0; i < blobs.size(); i++) {
      Digest digest = Digest.sha256(blobs.get(i));
      store.put(digest, blobs.get(i));
      layers.add(Descriptor.of(types.get(i), digest, blobs.get(i).length));
      diffIds.add("\"" + Digest.sha256(tars.get(i)) + "\"");
    }
    Platform p = Platform.current();
    byte[] config = ("{\"architecture\":\"" + p.architecture() + "\",\"os\":\"" + p.os() + "\","
        + "\"config\":{\"Cmd\":[\"/bin/sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
        + String.join(",", diffIds) + "]}}").getBytes(UTF_8);
    Descriptor configDescriptor = Descriptor.of(MediaType.OCI_CONFIG, Digest.sha256(config), config.length);
    byte[] manifest = ImageJson.write(new Manifest(MediaType.OCI_MANIFEST, configDescriptor,
        ImmutableList.copyOf(layers), ImmutableMap.of()));
    return Images.of(manifest, config, d -> {
      byte[] bytes = store.get(d.digest());
      if (bytes == null) {
        throw new NoSuchFileException("no blob " + d.digest());
      }
      return new ByteArrayInputStream(bytes);
    });
  }

  /** Returns {@code image} with layers whose every open fails: to show a write did not read them. */
  static Image unreadableLayers(Image image) throws IOException {
    return withLayers(image, l -> () -> {
      throw new IOException(l + " was opened");
    });
  }

  /** Returns {@code image} with each layer's bytes changed in one place, its descriptors unchanged. */
  static Image tampered(Image image) throws IOException {
    return withLayers(image, l -> () -> {
      byte[] bytes;
      try (InputStream in = l.open()) {
        bytes = in.readAllBytes();
      }
      bytes[bytes.length / 2] ^= 1;
      return new ByteArrayInputStream(bytes);
    });
  }

  /** Returns the image of {@code image}'s manifest and config whose layers {@code openers} open. */
  private static Image withLayers(Image image, Function<Layer, Layer.Opener> openers) throws IOException {
    Map<Digest, Layer.Opener> byDigest = new HashMap<>();
    for (Layer layer : image.layers()) {
      byDigest.put(layer.descriptor().digest(), openers.apply(layer));
    }
    return Images.of(image.rawManifest(), image.rawConfig(), d -> byDigest.get(d.digest()).open());
  }

  /**
   * Returns the regular files of {@code image}'s layers, upper over lower, reading every layer;
   * fails if a layer's uncompressed tar does not hash to its diff id.
   */
  static Map<String, byte[]> filesOf(Image image) throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    for (Layer layer : image.layers()) {
      try (DigestingInputStream tar = new DigestingInputStream(LayerStreams.decompress(layer.open(),
              MediaType.layerCompression(layer.descriptor().mediaType())), Digest.SHA256);
          TarArchiveInputStream entries = new TarArchiveInputStream(tar)) {
        TarArchiveEntry e;
        while ((e = entries.getNextEntry()) != null) {
          if (e.isFile()) {
            files.put(e.getName(), entries.readAllBytes());
          }
        }
        tar.transferTo(java.io.OutputStream.nullOutputStream());
        Digest diffId = tar.digest();
        if (!diffId.equals(layer.diffId())) {
          throw new AssertionError(layer + " holds a tar of digest " + diffId);
        }
      }
    }
    return files;
  }

  static byte[] gzip(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    }
    return out.toByteArray();
  }
}
