package dev.strata.transfer;

import dev.strata.digest.Digest;
import dev.strata.digest.DigestMismatchException;
import dev.strata.digest.DigestingInputStream;
import dev.strata.image.Descriptor;
import dev.strata.image.Image;
import dev.strata.image.Layer;
import dev.strata.image.MediaType;
import dev.strata.image.json.ImageJson;
import dev.strata.image.json.ImageJson.DockerArchiveEntry;
import dev.strata.layer.LayerStreams;
import dev.strata.layout.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A {@code docker save} archive, {@code docker-archive:FILE[:REPO:TAG]}. Its layers are plain
 * tars named by diff id, so a write decompresses each layer and keeps only the config's digest;
 * the manifest it reads back is one made over the archive's files ({@link DockerArchiveSource}).
 */
final class DockerArchiveLocation extends SourcedLocation {
  /** Docker refuses RepoTags that are not references; such a name is written without tags. */
  private static final Pattern DOCKER_REF = Pattern.compile("[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?");

  DockerArchiveLocation(Transports.Location where, Store store) {
    super(where, store);
  }

  @Override
  ImageSource openSource() throws IOException {
    return new DockerArchiveSource(where.path(), where.ref(), Staging.create(store.tmp(), "docker-archive-"));
  }

  /** Writes {@code image}, tagged REPO:TAG if the location names one; returns its manifest's descriptor as given. */
  @Override
  public Descriptor write(Image image) throws IOException {
    String configName = image.manifest().config().digest().hex() + ".json";
    List<String> layerNames = new ArrayList<>();
    for (Layer layer : image.layers()) {
      layerNames.add(layer.diffId().hex() + "/layer.tar");
    }
    ArchiveFile.write(where.path(), archive -> {
      archive.add(configName, image.rawConfig());
      Set<String> written = new LinkedHashSet<>();
      for (int i = 0; i < layerNames.size(); i++) {
        if (written.add(layerNames.get(i))) {
          addLayer(archive, layerNames.get(i), image.layers().get(i));
        }
      }
      archive.add("manifest.json", ImageJson.writeDockerArchiveManifest(
          List.of(new DockerArchiveEntry(configName, repoTags(), layerNames))));
    });
    return image.descriptor();
  }

  private List<String> repoTags() {
    String name = where.ref();
    if (name == null) {
      return List.of();
    }
    String repoTag = name.contains(":") ? name : name + ":latest";
    return DOCKER_REF.matcher(repoTag).matches() ? List.of(repoTag) : List.of();
  }

  /**
   * Adds {@code layer}'s tar, uncompressed. A tar entry's size comes before its bytes, and the
   * image knows only the compressed size, so the layer is decompressed into a scratch file
   * first and copied from there. Not counted by a first decompression and streamed by a second:
   * that would decompress (the costly part) twice and open the blob twice, and a blob from a
   * registry is a download read once. The scratch file lies beside the archive, on a filesystem
   * that must hold the uncompressed layer anyway; it is checked against the diff id on the way,
   * as the archive names the layer by it.
   */
  private static void addLayer(ArchiveFile archive, String name, Layer layer) throws IOException {
    Path scratch = archive.scratchFile();
    try {
      Digest diffId;
      try (DigestingInputStream tar = new DigestingInputStream(LayerStreams.decompress(layer.open(),
              MediaType.layerCompression(layer.descriptor().mediaType())), layer.diffId().algorithm());
          OutputStream out = Files.newOutputStream(scratch)) {
        tar.transferTo(out);
        diffId = tar.digest();
      }
      if (!diffId.equals(layer.diffId())) {
        throw new DigestMismatchException("layer " + layer.descriptor().digest() + ": uncompressed content has diff id "
            + diffId + " but the config says " + layer.diffId());
      }
      try (InputStream in = Files.newInputStream(scratch)) {
        archive.add(name, in, Files.size(scratch));
      }
    } finally {
      Files.deleteIfExists(scratch);
    }
  }
}
