package dev.strata.transfer;

import dev.strata.digest.Digest;
import dev.strata.image.Compression;
import dev.strata.image.Descriptor;
import dev.strata.image.History;
import dev.strata.image.Manifest;
import dev.strata.image.MediaType;
import dev.strata.image.Platform;
import dev.strata.image.json.ImageJson;
import dev.strata.layer.IngestLimits;
import dev.strata.layer.LayerBlobWriter;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import dev.strata.union.Changeset;
import dev.strata.union.UnionFs;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.function.Consumer;

/**
 * Makes a new image of a base image plus one layer: what a union's upper holds, as a gzip
 * changeset ({@link Changeset}). The image goes into the store the way a pull does, through
 * {@link Puller}, so the new layer is verified, indexed and deduplicated like any other, the
 * base layers are not touched, and the tag appears only once everything is in place.
 */
public final class Committer {
  private final Store store;
  private final Consumer<Puller.LayerEvent> events;

  /** What a commit made. */
  public record Result(String name, Descriptor manifest, Descriptor layer, Digest diffId) {}

  public Committer(Store store, Consumer<Puller.LayerEvent> events) {
    this.store = store;
    this.events = events;
  }

  /**
   * Commits the changes of {@code fs} (a union over {@code base}'s layers) as image {@code name}.
   *
   * @param createdBy the history's {@code created_by}, as {@code docker commit} records one
   */
  public Result commit(UnionFs fs, StoredImage base, String name, String createdBy) throws IOException {
    Store.checkTag(name);
    Path layerFile = Files.createTempFile(store.tmp(), "commit-", ".tar.gz");
    try {
      LayerBlobWriter.Written written = LayerBlobWriter.write(layerFile, Compression.GZIP, 0,
          tar -> Changeset.write(fs, tar));
      Digest diffId = written.diffId();
      Digest blobDigest = written.digest();
      boolean docker = MediaType.DOCKER_MANIFEST.equals(base.manifest().mediaType());
      Descriptor layer = Descriptor.of(docker ? MediaType.DOCKER_LAYER_GZIP : MediaType.OCI_LAYER_GZIP, blobDigest, written.size());

      String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
      byte[] config = ImageJson.withLayer(base.configBytes(), diffId, new History(now, createdBy, null, null, false));
      Descriptor configDescriptor = Descriptor.of(base.manifest().config().mediaType(), Digest.sha256(config), config.length);
      Manifest manifest = new Manifest(base.manifest().mediaType(), configDescriptor,
          com.google.common.collect.ImmutableList.<Descriptor>builder().addAll(base.manifest().layers()).add(layer).build(),
          base.manifest().annotations());
      byte[] manifestBytes = ImageJson.write(manifest);
      Descriptor manifestDescriptor = Descriptor.of(manifest.mediaType() != null ? manifest.mediaType() : MediaType.OCI_MANIFEST,
          Digest.sha256(manifestBytes), manifestBytes.length);

      ImageSource source = new ImageSource() {
        @Override
        public SourceManifest manifest(Platform platform) {
          return new SourceManifest(manifestDescriptor, manifestBytes);
        }

        @Override
        public InputStream openBlob(Descriptor d) throws IOException {
          if (d.digest().equals(configDescriptor.digest())) {
            return new ByteArrayInputStream(config);
          }
          if (d.digest().equals(blobDigest)) {
            return Files.newInputStream(layerFile);
          }
          return store.blobs().open(d.digest()); // a base layer: the store has it
        }

        @Override
        public String suggestedName() {
          return name;
        }

        @Override
        public void close() {}
      };
      Puller.Result pulled = new Puller(store, IngestLimits.DEFAULT, events).pull(source, name, Platform.current());
      return new Result(name, pulled.manifest(), layer, diffId);
    } finally {
      Files.deleteIfExists(layerFile);
    }
  }
}
