package dev.strata.image.json;

import static com.google.common.collect.ImmutableList.toImmutableList;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.image.History;
import dev.strata.image.ImageConfig;
import dev.strata.image.ImageIndex;
import dev.strata.image.Manifest;
import dev.strata.image.MediaType;
import dev.strata.image.Platform;
import dev.strata.image.json.Templates.ConfigJson;
import dev.strata.image.json.Templates.DescriptorJson;
import dev.strata.image.json.Templates.DockerArchiveEntryJson;
import dev.strata.image.json.Templates.IndexJson;
import dev.strata.image.json.Templates.ManifestJson;
import dev.strata.image.json.Templates.PlatformJson;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes manifests, indexes and configs. Reading validates what Strata relies on and
 * says what is wrong; writing produces canonical compact JSON with fields in spec order.
 */
public final class ImageJson {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .disable(SerializationFeature.INDENT_OUTPUT)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private ImageJson() {}

  /** Returns the shared mapper, for callers that print their own data as JSON. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /** Returns the {@code mediaType} field of a manifest or index, or null when absent. */
  public static String mediaTypeOf(byte[] json) throws InvalidImageJsonException {
    JsonNode node = tree(json, "manifest");
    JsonNode type = node.get("mediaType");
    if (type == null || type.isNull()) {
      // Old OCI manifests may omit mediaType; a "manifests" array says index, "config" manifest.
      if (node.has("manifests")) {
        return MediaType.OCI_INDEX;
      }
      return node.has("config") ? MediaType.OCI_MANIFEST : null;
    }
    return type.asText();
  }

  /** Parses and validates an image manifest. */
  public static Manifest parseManifest(byte[] json) throws InvalidImageJsonException {
    ManifestJson m = read(json, ManifestJson.class, "manifest");
    if (m.schemaVersion() == null || m.schemaVersion() != 2) {
      throw new InvalidImageJsonException("manifest: schemaVersion must be 2, got " + m.schemaVersion());
    }
    String type = m.mediaType() == null ? MediaType.OCI_MANIFEST : m.mediaType();
    if (!MediaType.isManifest(type)) {
      throw new InvalidImageJsonException("manifest: unsupported mediaType " + type);
    }
    if (m.config() == null) {
      throw new InvalidImageJsonException("manifest: no config descriptor");
    }
    if (m.layers() == null) {
      throw new InvalidImageJsonException("manifest: no layers array");
    }
    Descriptor config = descriptor(m.config(), "manifest config");
    if (config.mediaType() == null) {
      throw new InvalidImageJsonException("manifest: config has no mediaType");
    }
    ImmutableList.Builder<Descriptor> layers = ImmutableList.builder();
    for (int i = 0; i < m.layers().size(); i++) {
      Descriptor layer = descriptor(m.layers().get(i), "manifest layer " + i);
      if (!MediaType.isLayer(layer.mediaType())) {
        throw new InvalidImageJsonException(
            "manifest layer " + i + " (" + layer.digest() + "): unknown layer media type " + layer.mediaType());
      }
      layers.add(layer);
    }
    return new Manifest(type, config, layers.build(), immutable(m.annotations()));
  }

  /** Parses and validates an image index (or Docker manifest list, or an OCI layout's index.json). */
  public static ImageIndex parseIndex(byte[] json) throws InvalidImageJsonException {
    IndexJson x = read(json, IndexJson.class, "index");
    if (x.schemaVersion() == null || x.schemaVersion() != 2) {
      throw new InvalidImageJsonException("index: schemaVersion must be 2, got " + x.schemaVersion());
    }
    if (x.mediaType() != null && !MediaType.isIndex(x.mediaType())) {
      throw new InvalidImageJsonException("index: unsupported mediaType " + x.mediaType());
    }
    ImmutableList.Builder<Descriptor> manifests = ImmutableList.builder();
    List<DescriptorJson> list = x.manifests() == null ? List.of() : x.manifests();
    for (int i = 0; i < list.size(); i++) {
      manifests.add(descriptor(list.get(i), "index entry " + i));
    }
    return new ImageIndex(x.mediaType(), manifests.build(), immutable(x.annotations()));
  }

  /** Parses the parts of an image config that Strata uses. */
  public static ImageConfig parseConfig(byte[] json) throws InvalidImageJsonException {
    ConfigJson c = read(json, ConfigJson.class, "image config");
    if (c.rootfs() == null || c.rootfs().diffIds() == null) {
      throw new InvalidImageJsonException("image config: no rootfs.diff_ids");
    }
    if (c.rootfs().type() != null && !c.rootfs().type().equals("layers")) {
      throw new InvalidImageJsonException("image config: rootfs.type must be 'layers', got " + c.rootfs().type());
    }
    ImmutableList.Builder<Digest> diffIds = ImmutableList.builder();
    for (String d : c.rootfs().diffIds()) {
      diffIds.add(digest(d, "image config diff_id"));
    }
    ImmutableList<History> history = c.history() == null ? ImmutableList.of()
        : c.history().stream()
            .map(h -> new History(h.created(), h.createdBy(), h.author(), h.comment(), Boolean.TRUE.equals(h.emptyLayer())))
            .collect(toImmutableList());
    var cc = c.config();
    return new ImageConfig(c.created(), c.author(), c.os(), c.architecture(), c.variant(),
        cc == null ? null : copy(cc.cmd()), cc == null ? null : copy(cc.entrypoint()),
        cc == null ? null : copy(cc.env()), cc == null ? null : cc.workingDir(), cc == null ? null : cc.user(),
        diffIds.build(), history);
  }

  /**
   * Returns {@code config} with one more layer: its diff id appended to {@code rootfs.diff_ids}
   * and {@code history} appended to the history, {@code created} set to the history's time.
   * Everything else, fields Strata does not model included, stays as it was.
   */
  public static byte[] withLayer(byte[] config, Digest diffId, History history) throws InvalidImageJsonException {
    com.fasterxml.jackson.databind.node.ObjectNode root;
    try {
      root = (com.fasterxml.jackson.databind.node.ObjectNode) MAPPER.readTree(config);
    } catch (IOException | ClassCastException e) {
      throw new InvalidImageJsonException("image config: " + e.getMessage(), e);
    }
    parseConfig(config); // the same checks as a pull makes
    ((com.fasterxml.jackson.databind.node.ArrayNode) root.get("rootfs").get("diff_ids")).add(diffId.toString());
    var h = root.withArray("history").addObject();
    if (history.created() != null) {
      h.put("created", history.created());
      root.put("created", history.created());
    }
    if (history.createdBy() != null) {
      h.put("created_by", history.createdBy());
    }
    if (history.author() != null) {
      h.put("author", history.author());
    }
    if (history.comment() != null) {
      h.put("comment", history.comment());
    }
    return bytes(root);
  }

  /** Writes an OCI manifest. */
  public static byte[] write(Manifest manifest) {
    return bytes(new ManifestJson(2, manifest.mediaType(), wire(manifest.config()),
        manifest.layers().stream().map(ImageJson::wire).toList(), null, nullIfEmpty(manifest.annotations())));
  }

  /** Writes an index (an OCI layout's index.json, or an image index). */
  public static byte[] write(ImageIndex index) {
    return bytes(new IndexJson(2, index.mediaType(),
        index.manifests().stream().map(ImageJson::wire).toList(), nullIfEmpty(index.annotations())));
  }

  /** One image of a {@code docker save} archive's manifest.json. */
  public record DockerArchiveEntry(String config, List<String> repoTags, List<String> layers) {}

  /** Parses a {@code docker save} manifest.json. */
  public static List<DockerArchiveEntry> parseDockerArchiveManifest(byte[] json) throws InvalidImageJsonException {
    List<DockerArchiveEntryJson> entries;
    try {
      entries = MAPPER.readValue(json, new TypeReference<List<DockerArchiveEntryJson>>() {});
    } catch (IOException e) {
      throw new InvalidImageJsonException("docker-archive manifest.json: " + message(e), e);
    }
    if (entries == null || entries.isEmpty()) {
      throw new InvalidImageJsonException("docker-archive manifest.json: no images");
    }
    for (DockerArchiveEntryJson e : entries) {
      if (e.config() == null || e.layers() == null) {
        throw new InvalidImageJsonException("docker-archive manifest.json: an entry lacks Config or Layers");
      }
    }
    return entries.stream()
        .map(e -> new DockerArchiveEntry(e.config(), e.repoTags() == null ? List.of() : e.repoTags(), e.layers()))
        .toList();
  }

  /** Writes a {@code docker save} manifest.json. */
  public static byte[] writeDockerArchiveManifest(List<DockerArchiveEntry> entries) {
    return bytes(entries.stream()
        .map(e -> new DockerArchiveEntryJson(e.config(), e.repoTags(), e.layers())).toList());
  }

  /** Serializes any value compactly with the shared mapper. */
  public static byte[] bytes(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
    }
  }

  private static DescriptorJson wire(Descriptor d) {
    Platform p = d.platform();
    return new DescriptorJson(d.mediaType(), d.digest().toString(), d.size(), nullIfEmpty(d.annotations()),
        p == null ? null : new PlatformJson(p.architecture(), p.os(), p.variant()));
  }

  private static Descriptor descriptor(DescriptorJson d, String what) throws InvalidImageJsonException {
    if (d == null) {
      throw new InvalidImageJsonException(what + ": null descriptor");
    }
    if (d.digest() == null) {
      throw new InvalidImageJsonException(what + ": descriptor has no digest");
    }
    if (d.size() == null || d.size() < 0) {
      throw new InvalidImageJsonException(what + ": descriptor has no valid size");
    }
    Platform platform = null;
    if (d.platform() != null) {
      try {
        platform = new Platform(d.platform().os(), d.platform().architecture(), d.platform().variant());
      } catch (IllegalArgumentException e) {
        throw new InvalidImageJsonException(what + ": " + e.getMessage());
      }
    }
    return new Descriptor(d.mediaType(), digest(d.digest(), what), d.size(), immutable(d.annotations()), platform);
  }

  private static Digest digest(String text, String what) throws InvalidImageJsonException {
    try {
      return Digest.parse(text);
    } catch (IllegalArgumentException e) {
      throw new InvalidImageJsonException(what + ": " + e.getMessage());
    }
  }

  private static JsonNode tree(byte[] json, String what) throws InvalidImageJsonException {
    try {
      JsonNode node = MAPPER.readTree(json);
      if (node == null || !node.isObject()) {
        throw new InvalidImageJsonException(what + ": not a JSON object");
      }
      return node;
    } catch (IOException e) {
      throw new InvalidImageJsonException(what + ": invalid JSON: " + message(e), e);
    }
  }

  private static <T> T read(byte[] json, Class<T> type, String what) throws InvalidImageJsonException {
    tree(json, what);
    try {
      return MAPPER.readValue(json, type);
    } catch (IOException e) {
      throw new InvalidImageJsonException(what + ": invalid JSON: " + message(e), e);
    }
  }

  private static String message(IOException e) {
    String m = e.getMessage();
    int nl = m == null ? -1 : m.indexOf('\n');
    return nl < 0 ? String.valueOf(m) : m.substring(0, nl);
  }

  private static ImmutableMap<String, String> immutable(Map<String, String> map) {
    return map == null ? ImmutableMap.of() : ImmutableMap.copyOf(new TreeMap<>(map));
  }

  private static <K, V> Map<K, V> nullIfEmpty(Map<K, V> map) {
    return map == null || map.isEmpty() ? null : map;
  }

  private static ImmutableList<String> copy(List<String> list) {
    return list == null ? null : ImmutableList.copyOf(list);
  }
}
