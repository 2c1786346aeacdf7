package dev.strata.transfer;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.strata.digest.Digest;
import dev.strata.digest.DigestingInputStream;
import dev.strata.image.Descriptor;
import dev.strata.image.Manifest;
import dev.strata.image.MediaType;
import dev.strata.image.Platform;
import dev.strata.image.json.ImageJson;
import dev.strata.image.json.ImageJson.DockerArchiveEntry;
import dev.strata.layer.LayerStreams;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code docker save} archive, {@code docker-archive:FILE[:REPO:TAG]}. It has no manifest of
 * its own, so one is made: an OCI manifest over the archive's config and layer files, each
 * described by its real digest, size and (sniffed) compression, as skopeo does.
 */
final class DockerArchiveSource implements ImageSource {
  private final Path archive;
  private final String ref;
  private final Path staging;
  private final Map<Digest, Path> files = new HashMap<>();
  private DockerArchiveEntry entry;
  private SourceManifest manifest;

  DockerArchiveSource(Path archive, String ref, Path staging) {
    this.archive = archive;
    this.ref = ref;
    this.staging = staging;
  }

  @Override
  public SourceManifest manifest(Platform platform) throws IOException {
    if (manifest != null) {
      return manifest; // the archive is unpacked once
    }
    if (!Files.isRegularFile(archive)) {
      throw new NoSuchFileException(archive + ": no such docker-archive file");
    }
    ArchiveExtractor.extract(archive, staging, name -> true);
    Path manifestJson = staging.resolve("manifest.json");
    if (!Files.isRegularFile(manifestJson)) {
      throw new IOException(archive + " is not a docker-archive (no manifest.json)");
    }
    List<DockerArchiveEntry> entries = ImageJson.parseDockerArchiveManifest(Files.readAllBytes(manifestJson));
    entry = choose(entries);
    Descriptor config = describe(entry.config(), MediaType.OCI_CONFIG, false);
    ImmutableList.Builder<Descriptor> layers = ImmutableList.builder();
    for (String layer : entry.layers()) {
      layers.add(describe(layer, null, true));
    }
    byte[] bytes = ImageJson.write(new Manifest(MediaType.OCI_MANIFEST, config, layers.build(), ImmutableMap.of()));
    manifest = new SourceManifest(Descriptor.of(MediaType.OCI_MANIFEST, Digest.sha256(bytes), bytes.length), bytes);
    return manifest;
  }

  private DockerArchiveEntry choose(List<DockerArchiveEntry> entries) throws IOException {
    if (ref == null) {
      if (entries.size() == 1) {
        return entries.get(0);
      }
      throw new IOException(archive + " holds " + entries.size() + " images; name one as docker-archive:FILE:REPO:TAG");
    }
    for (DockerArchiveEntry e : entries) {
      if (e.repoTags().contains(ref) || e.repoTags().contains(ref + ":latest")) {
        return e;
      }
    }
    throw new IOException("no image '" + ref + "' in " + archive);
  }

  private Descriptor describe(String name, String mediaType, boolean layer) throws IOException {
    String safe = ArchiveExtractor.safeName(name);
    Path file = safe == null ? null : staging.resolve(safe).normalize();
    if (file == null || !file.startsWith(staging) || !Files.isRegularFile(file)) {
      throw new IOException(archive + ": manifest.json names '" + name + "', which the archive does not hold");
    }
    Digest digest;
    long size;
    try (DigestingInputStream in = DigestingInputStream.sha256(Files.newInputStream(file))) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      digest = in.digest();
      size = in.count();
    }
    files.put(digest, file);
    String type = mediaType;
    if (layer) {
      try (BufferedInputStream in = new BufferedInputStream(Files.newInputStream(file))) {
        type = MediaType.ociLayer(LayerStreams.sniff(in));
      }
    }
    return Descriptor.of(type, digest, size);
  }

  @Override
  public InputStream openBlob(Descriptor d) throws IOException {
    Path file = files.get(d.digest());
    if (file == null) {
      throw new NoSuchFileException("blob " + d.digest() + " is not in " + archive);
    }
    return Files.newInputStream(file);
  }

  @Override
  public String suggestedName() {
    if (ref != null) {
      return ref;
    }
    if (entry != null && !entry.repoTags().isEmpty()) {
      // Short names as docker prints them: docker.io/library/alpine:3 is alpine:3.
      String tag = entry.repoTags().get(0);
      return tag.startsWith("docker.io/library/") ? tag.substring("docker.io/library/".length()) : tag;
    }
    String file = archive.getFileName().toString();
    return file.endsWith(".tar") ? file.substring(0, file.length() - 4) : file;
  }

  @Override
  public void close() throws IOException {
    Staging.delete(staging);
  }
}
