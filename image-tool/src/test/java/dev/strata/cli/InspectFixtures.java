package dev.strata.cli;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.strata.blob.ContentStore;
import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.image.Manifest;
import dev.strata.image.MediaType;
import dev.strata.image.json.ImageJson;
import dev.strata.layer.TarBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An image made to have every kind of change the inspection commands count: overwritten,
 * deleted and re-added files, an opaque directory, a whited-out directory, a directory replaced
 * by a file and a file by a directory, hard links in one layer and to a file of a lower layer, identical contents, an
 * implied directory, and a history with an empty-layer step.
 */
final class InspectFixtures {
  private InspectFixtures() {}

  static List<byte[]> layers() throws IOException {
    byte[] l1 = new TarBuilder()
        .dir("etc").file("etc/a", fill(1000, 'a')).file("etc/b", fill(2000, 'b')).symlink("etc/l", "a")
        .dir("usr").dir("usr/bin").file("usr/bin/big", fill(5000, 'g')).hardlink("usr/bin/big2", "usr/bin/big")
        .dir("usr/lib").file("usr/lib/x", fill(300, 'x')).file("usr/lib/y", fill(400, 'y')).file("usr/lib/sub/deep", fill(77, 'd'))
        .dir("keep").file("keep/k", fill(10, 'k'))
        .dir("d").dir("d/sub").file("d/sub/f", fill(50, 'f'))
        .file("shared1", fill(1000, 's'))
        .toBytes();
    byte[] l2 = new TarBuilder()
        .dir("etc").file("etc/a", fill(1500, 'A')).whiteout("etc/b")
        .dir("usr").dir("usr/lib").opaque("usr/lib").file("usr/lib/z", fill(70, 'z'))
        .dir("usr/bin").whiteout("usr/bin/big")
        .dir("new").file("new/file", fill(100, 'n')).hardlink("new/file2", "new/file")
        .whiteout("d")
        .file("copy", fill(1000, 's'))
        .toBytes();
    byte[] l3 = new TarBuilder()
        .dir("new").whiteout("new/file").whiteout("new/file2")
        .dir("etc").file("etc/a", fill(1500, 'A'))
        .file("keep", fill(20, 'K'))
        .dir("usr").dir("usr/bin").hardlink("usr/bin/big3", "usr/bin/big2")
        .toBytes();
    byte[] l4 = new TarBuilder()
        .dir("usr").dir("usr/bin").whiteout("usr/bin/big2")
        .dir("empty")
        .dir("shared1").file("shared1/inside", fill(5, 'i'))
        .toBytes();
    return List.of(l1, l2, l3, l4);
  }

  private static String fill(int size, char c) {
    return String.valueOf(c).repeat(size);
  }

  /** Writes the first {@code count} layers as an OCI layout {@code dir} tagged {@code tag}, with history. */
  static Path write(Path dir, String tag, int count) throws IOException {
    List<byte[]> tars = layers().subList(0, count);
    ContentStore store = ContentStore.flat(dir.resolve("blobs"), dir.resolve("tmp"));
    List<String> diffIds = new ArrayList<>();
    ImmutableList.Builder<Descriptor> layers = ImmutableList.builder();
    List<Map<String, Object>> history = new ArrayList<>();
    for (int i = 0; i < tars.size(); i++) {
      byte[] blob = OciLayouts.gzip(tars.get(i));
      diffIds.add(Digest.sha256(tars.get(i)).toString());
      layers.add(Descriptor.of(MediaType.OCI_LAYER_GZIP, store.write(blob), blob.length));
      if (i == 2) {
        history.add(Map.of("created", "2001-01-01T00:00:00Z", "created_by", "ENV X=1", "empty_layer", true));
      }
      history.add(Map.of("created", "2001-01-0" + (i + 1) + "T00:00:00Z", "created_by", "step for layer " + (i + 1),
          "comment", "layer " + (i + 1)));
    }
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("architecture", "amd64");
    config.put("os", "linux");
    config.put("rootfs", Map.of("type", "layers", "diff_ids", diffIds));
    config.put("history", history);
    byte[] configBytes = ImageJson.bytes(config);
    Digest configDigest = store.write(configBytes);
    byte[] manifest = ImageJson.write(new Manifest(MediaType.OCI_MANIFEST,
        Descriptor.of(MediaType.OCI_CONFIG, configDigest, configBytes.length), layers.build(), ImmutableMap.of()));
    return OciLayouts.tagManifest(dir, store, tag, manifest);
  }
}
