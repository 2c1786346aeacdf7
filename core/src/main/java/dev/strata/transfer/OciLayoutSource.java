package dev.strata.transfer;

import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.image.ImageIndex;
import dev.strata.image.MediaType;
import dev.strata.image.Platform;
import dev.strata.image.json.ImageJson;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * An OCI image layout directory: {@code oci:DIR[:REF]}, or the directory an
 * {@code oci-archive:FILE[:REF]} is unpacked into; messages name the place as the user did.
 */
final class OciLayoutSource implements ImageSource {
  private final Path dir;
  private final Transports.Location where;
  private final String ref;
  private final Runnable onClose;

  OciLayoutSource(Path dir, Transports.Location where, Runnable onClose) {
    this.dir = dir;
    this.where = where;
    this.ref = where.ref();
    this.onClose = onClose;
  }

  @Override
  public SourceManifest manifest(Platform platform) throws IOException {
    for (String file : new String[] {"oci-layout", "index.json"}) {
      if (!Files.isRegularFile(dir.resolve(file))) {
        throw new NoSuchFileException(where.path() + " is not an OCI image layout (no " + file + " file)");
      }
    }
    ImageIndex index = ImageJson.parseIndex(Files.readAllBytes(dir.resolve("index.json")));
    Descriptor chosen = choose(index);
    byte[] bytes = readBlob(chosen);
    String type = chosen.mediaType() != null ? chosen.mediaType() : ImageJson.mediaTypeOf(bytes);
    if (MediaType.isIndex(type)) {
      ImageIndex child = ImageJson.parseIndex(bytes);
      chosen = child.forPlatform(platform).orElseThrow(() -> new IOException(
          "the image index " + describe() + " has no manifest for " + platform + "; it has: "
              + child.manifests().stream().map(d -> String.valueOf(d.platform())).collect(Collectors.joining(", "))));
      bytes = readBlob(chosen);
    }
    return new SourceManifest(chosen.withAnnotations(com.google.common.collect.ImmutableMap.of()), bytes);
  }

  private Descriptor choose(ImageIndex index) throws IOException {
    if (ref == null) {
      if (index.manifests().size() == 1) {
        return index.manifests().get(0);
      }
      throw new IOException(describe() + " holds " + index.manifests().size() + " images; name one as "
          + where.transport() + ":" + where.path() + ":REF (refs: " + refs(index) + ")");
    }
    for (Descriptor d : index.manifests()) {
      if (ref.equals(d.refName()) || ref.equals(d.digest().toString())) {
        return d;
      }
    }
    throw new IOException("no image '" + ref + "' in " + where.path() + " (refs: " + refs(index) + ")");
  }

  private static String refs(ImageIndex index) {
    return index.manifests().stream().map(d -> d.refName() == null ? d.digest().toString() : d.refName())
        .collect(Collectors.joining(", "));
  }

  private byte[] readBlob(Descriptor d) throws IOException {
    try (InputStream in = openBlob(d)) {
      byte[] bytes = in.readNBytes((int) Math.min(d.size() + 1, 64 << 20));
      if (bytes.length != d.size() || !Digest.sha256(bytes).equals(d.digest()) && d.digest().algorithm().equals(Digest.SHA256)) {
        throw new dev.strata.digest.DigestMismatchException("manifest " + d.digest() + " in " + where.path()
            + " does not match its descriptor (size " + bytes.length + ", expected " + d.size() + ")");
      }
      return bytes;
    }
  }

  @Override
  public InputStream openBlob(Descriptor d) throws IOException {
    Path blob = dir.resolve("blobs").resolve(d.digest().algorithm()).resolve(d.digest().hex());
    try {
      return Files.newInputStream(blob);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException("blob " + d.digest() + " is missing from " + where.path());
    }
  }

  private String describe() {
    return where.toString();
  }

  @Override
  public String suggestedName() {
    return ref != null && !ref.startsWith("sha256:") ? ref : Locations.baseName(where);
  }

  @Override
  public void close() {
    onClose.run();
  }
}
