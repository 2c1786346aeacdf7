package dev.strata.volume;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.strata.digest.Digest;
import dev.strata.image.Compression;
import dev.strata.image.Descriptor;
import dev.strata.image.Image;
import dev.strata.image.ImageConfig;
import dev.strata.image.Layer;
import dev.strata.image.Manifest;
import dev.strata.image.MediaType;
import dev.strata.image.json.ImageJson;
import dev.strata.layout.Store;
import dev.strata.layout.VolumeSnapshots;
import dev.strata.layout.VolumeSnapshots.Snapshot;
import dev.strata.transfer.ImageSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A volume's snapshots as an OCI artifact (image-spec 1.1): an image manifest whose
 * {@code artifactType} and config say "a Strata volume", whose config lists the snapshot
 * records (oldest first) and whose layers are the snapshots' blobs, the same bytes as in the
 * store, under a layer media type of Strata's own so that no container engine mistakes a
 * volume for an image's root file system. Any registry that keeps OCI manifests keeps it; a
 * second snapshot shares the first one's blob, so a push or pull moves only what changed.
 *
 * <p>Reading one back trusts nothing: every record's id must be the digest of its fields, each
 * record's parent the one before it, and each layer the blob its record names; a volume is made
 * from nothing else.
 */
final class VolumeArtifact {
  /** The artifact's type, in the manifest's {@code artifactType}. */
  static final String ARTIFACT_TYPE = "application/vnd.strata.volume.v1";
  /** The config: the branch, the labels and the snapshot records. */
  static final String CONFIG_TYPE = "application/vnd.strata.volume.config.v1+json";
  /** A snapshot's layer; {@code +gzip} or {@code +zstd} follows as its compression says. */
  static final String LAYER_TYPE = "application/vnd.strata.volume.snapshot.v1.tar";
  /** The annotation on each layer naming its snapshot's id, for people browsing a registry. */
  static final String SNAPSHOT_ANNOTATION = "dev.strata.volume.snapshot";

  private VolumeArtifact() {}

  /** The config's JSON. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  private record ConfigJson(@JsonProperty("branch") String branch, @JsonProperty("labels") Map<String, String> labels,
      @JsonProperty("snapshots") List<SnapshotJson> snapshots) {}

  /** One snapshot record, with its id (checked against its fields when read). */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  private record SnapshotJson(@JsonProperty("id") String id, @JsonProperty("parent") String parent,
      @JsonProperty("diffId") String diffId, @JsonProperty("blob") String blob, @JsonProperty("size") long size,
      @JsonProperty("mediaType") String mediaType, @JsonProperty("message") String message,
      @JsonProperty("created") String created) {}

  /** The manifest's JSON: an OCI image manifest with an artifact type. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  private record ManifestJson(@JsonProperty("schemaVersion") int schemaVersion,
      @JsonProperty("mediaType") String mediaType, @JsonProperty("artifactType") String artifactType,
      @JsonProperty("config") DescriptorJson config, @JsonProperty("layers") List<DescriptorJson> layers,
      @JsonProperty("annotations") Map<String, String> annotations) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  private record DescriptorJson(@JsonProperty("mediaType") String mediaType, @JsonProperty("digest") String digest,
      @JsonProperty("size") long size, @JsonProperty("annotations") Map<String, String> annotations) {}

  /** What an artifact holds, verified: its branch, labels, and the chain of snapshots, oldest first. */
  record Contents(String branch, Map<String, String> labels, List<Snapshot> snapshots) {
    /** The snapshots' blobs as the store keeps layers: each with its record's media type. */
    List<Descriptor> layers() {
      return snapshots.stream().map(s -> Descriptor.of(s.mediaType(), s.blob(), s.size())).toList();
    }

    List<Digest> diffIds() {
      return snapshots.stream().map(Snapshot::diffId).toList();
    }

    Snapshot tip() {
      return snapshots.get(snapshots.size() - 1);
    }
  }

  /** The layer media type a snapshot blob of {@code recordType} (an OCI layer type) travels as. */
  static String layerType(String recordType) {
    Compression c = MediaType.layerCompression(recordType);
    return switch (c) {
      case NONE -> LAYER_TYPE;
      case GZIP -> LAYER_TYPE + "+gzip";
      case ZSTD -> LAYER_TYPE + "+zstd";
    };
  }

  /**
   * The artifact of {@code chain} (a branch's snapshots, oldest first, the first without a
   * parent), whose layers are read from {@code store}'s blobs.
   */
  static Image of(Store store, String branch, Map<String, String> labels, List<Snapshot> chain) {
    List<SnapshotJson> records = new ArrayList<>();
    List<DescriptorJson> layerJson = new ArrayList<>();
    ImmutableList.Builder<Layer> layers = ImmutableList.builder();
    for (Snapshot s : chain) {
      records.add(new SnapshotJson(s.id(), s.parent(), s.diffId().toString(), s.blob().toString(), s.size(),
          s.mediaType(), s.message(), s.created()));
      Descriptor d = new Descriptor(layerType(s.mediaType()), s.blob(), s.size(),
          ImmutableMap.of(SNAPSHOT_ANNOTATION, s.id()), null);
      layerJson.add(new DescriptorJson(d.mediaType(), d.digest().toString(), d.size(), d.annotations()));
      layers.add(Layer.of(d, s.diffId(), () -> store.blobs().open(s.blob())));
    }
    byte[] config = ImageJson.bytes(new ConfigJson(branch, labels.isEmpty() ? null : labels, records));
    Descriptor configDescriptor = Descriptor.of(CONFIG_TYPE, Digest.sha256(config), config.length);
    byte[] manifest = ImageJson.bytes(new ManifestJson(2, MediaType.OCI_MANIFEST, ARTIFACT_TYPE,
        new DescriptorJson(CONFIG_TYPE, configDescriptor.digest().toString(), config.length, null), layerJson,
        ImmutableMap.of("org.opencontainers.image.created", chain.get(chain.size() - 1).created())));
    ImmutableList<Layer> built = layers.build();
    return new ArtifactImage(Descriptor.of(MediaType.OCI_MANIFEST, Digest.sha256(manifest), manifest.length),
        manifest, new Manifest(MediaType.OCI_MANIFEST, configDescriptor,
            built.stream().map(Layer::descriptor).collect(ImmutableList.toImmutableList()), ImmutableMap.of()),
        config, built);
  }

  /**
   * An artifact as an {@link Image}, so that every place images are written takes it. Its
   * config is not a container's: the parsed view carries only the snapshots' diff ids.
   */
  private record ArtifactImage(Descriptor descriptor, byte[] rawManifest, Manifest manifest, byte[] rawConfig,
      List<Layer> layers) implements Image {
    @Override
    public ImageConfig config() {
      return new ImageConfig(null, null, null, null, null, null, null, null, null, null,
          layers.stream().map(Layer::diffId).collect(ImmutableList.toImmutableList()), null);
    }
  }

  /**
   * Reads the artifact {@code source} holds and checks all of it but the layers' bytes (which
   * the pull verifies as it ingests them); {@code where} names the source in errors.
   */
  static Contents read(ImageSource source, String where) throws IOException {
    ImageSource.SourceManifest sm = source.manifest(dev.strata.image.Platform.current());
    ManifestJson m;
    try {
      m = ImageJson.mapper().readValue(sm.bytes(), ManifestJson.class);
    } catch (IOException e) {
      throw new IOException(where + ": the manifest is not valid JSON: " + e.getMessage(), e);
    }
    String configType = m.config() == null ? null : m.config().mediaType();
    if (!ARTIFACT_TYPE.equals(m.artifactType()) || !CONFIG_TYPE.equals(configType)) {
      throw new IOException(where + " is not a Strata volume: its artifactType is " + m.artifactType()
          + " and its config's media type " + configType + " (a volume has " + ARTIFACT_TYPE + " and "
          + CONFIG_TYPE + ")");
    }
    List<DescriptorJson> layers = m.layers() == null ? List.of() : m.layers();
    Descriptor config = descriptor(m.config(), where, "config");
    byte[] bytes = source.readSmall(config, where + ": the config");
    ConfigJson c;
    try {
      c = ImageJson.mapper().readValue(bytes, ConfigJson.class);
    } catch (IOException e) {
      throw new IOException(where + ": the config is not valid JSON: " + e.getMessage(), e);
    }
    List<SnapshotJson> records = c.snapshots() == null ? List.of() : c.snapshots();
    if (records.isEmpty()) {
      throw new IOException(where + ": the volume has no snapshots");
    }
    if (records.size() != layers.size()) {
      throw new IOException(where + ": the config lists " + records.size() + " snapshots but the manifest has "
          + layers.size() + " layers");
    }
    String branch;
    try {
      branch = VolumeSnapshots.checkBranch(c.branch() == null ? VolumeSnapshots.MAIN : c.branch());
    } catch (IllegalArgumentException e) {
      throw new IOException(where + ": " + e.getMessage(), e);
    }
    Map<String, String> labels = new LinkedHashMap<>(c.labels() == null ? Map.of() : c.labels());
    List<Snapshot> chain = new ArrayList<>();
    for (int i = 0; i < records.size(); i++) {
      Snapshot s = snapshot(records.get(i), where, i);
      String expectedParent = i == 0 ? null : chain.get(i - 1).id();
      if (!Objects.equals(s.parent(), expectedParent)) {
        throw new IOException(where + ": snapshot " + (i + 1) + " (" + s.shortId() + ") has parent " + s.parent()
            + " but follows " + expectedParent);
      }
      Descriptor layer = descriptor(layers.get(i), where, "layer " + (i + 1));
      if (!layer.digest().equals(s.blob()) || layer.size() != s.size()) {
        throw new IOException(where + ": layer " + (i + 1) + " is " + layer.digest() + " (" + layer.size()
            + " bytes) but its snapshot " + s.shortId() + " names " + s.blob() + " (" + s.size() + " bytes)");
      }
      if (!layerType(s.mediaType()).equals(layer.mediaType())) {
        throw new IOException(where + ": layer " + (i + 1) + " has media type " + layer.mediaType()
            + "; a snapshot of " + s.mediaType() + " travels as " + layerType(s.mediaType()));
      }
      chain.add(s);
    }
    return new Contents(branch, labels, List.copyOf(chain));
  }

  /** A record as the store keeps it, once its id is proved to be its fields' digest. */
  private static Snapshot snapshot(SnapshotJson j, String where, int i) throws IOException {
    String what = where + ": snapshot " + (i + 1);
    if (j.id() == null || j.diffId() == null || j.blob() == null || j.mediaType() == null) {
      throw new IOException(what + " lacks its id, diffId, blob or mediaType");
    }
    if (!MediaType.isLayer(j.mediaType())) {
      throw new IOException(what + " (" + j.id() + ") has media type " + j.mediaType() + ", not a layer's");
    }
    if (j.size() < 0) {
      throw new IOException(what + " (" + j.id() + ") has a negative size");
    }
    Snapshot s;
    try {
      s = new Snapshot(j.id(), j.parent(), Digest.parse(j.diffId()), Digest.parse(j.blob()), j.size(),
          j.mediaType(), j.message(), j.created());
    } catch (IllegalArgumentException e) {
      throw new IOException(what + " (" + j.id() + "): " + e.getMessage(), e);
    }
    String id = VolumeSnapshots.idOf(s);
    if (!id.equals(j.id())) {
      throw new IOException(what + " claims id " + j.id() + " but its fields give " + id);
    }
    return s;
  }

  private static Descriptor descriptor(DescriptorJson d, String where, String what) throws IOException {
    if (d == null || d.digest() == null) {
      throw new IOException(where + ": the " + what + " has no digest");
    }
    if (d.size() < 0) {
      throw new IOException(where + ": the " + what + " has a negative size");
    }
    try {
      return Descriptor.of(d.mediaType(), Digest.parse(d.digest()), d.size());
    } catch (IllegalArgumentException e) {
      throw new IOException(where + ": the " + what + ": " + e.getMessage(), e);
    }
  }
}
