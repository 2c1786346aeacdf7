package dev.strata.image.json;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/** The wire shapes, field for field as the specs name them. Unknown fields are ignored on read. */
final class Templates {
  private Templates() {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  record PlatformJson(
      @JsonProperty("architecture") String architecture,
      @JsonProperty("os") String os,
      @JsonProperty("variant") String variant) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  record DescriptorJson(
      @JsonProperty("mediaType") String mediaType,
      @JsonProperty("digest") String digest,
      @JsonProperty("size") Long size,
      @JsonProperty("annotations") Map<String, String> annotations,
      @JsonProperty("platform") PlatformJson platform) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  record ManifestJson(
      @JsonProperty("schemaVersion") Integer schemaVersion,
      @JsonProperty("mediaType") String mediaType,
      @JsonProperty("config") DescriptorJson config,
      // Required by the spec even when empty (an image of no layers yet: FROM scratch).
      @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("layers") List<DescriptorJson> layers,
      @JsonProperty("manifests") List<DescriptorJson> manifests,
      @JsonProperty("annotations") Map<String, String> annotations) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  record IndexJson(
      @JsonProperty("schemaVersion") Integer schemaVersion,
      @JsonProperty("mediaType") String mediaType,
      @JsonProperty("manifests") List<DescriptorJson> manifests,
      @JsonProperty("annotations") Map<String, String> annotations) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  record RootfsJson(@JsonProperty("type") String type, @JsonProperty("diff_ids") List<String> diffIds) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  record HistoryJson(
      @JsonProperty("created") String created,
      @JsonProperty("created_by") String createdBy,
      @JsonProperty("author") String author,
      @JsonProperty("comment") String comment,
      @JsonProperty("empty_layer") Boolean emptyLayer) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  record ContainerConfigJson(
      @JsonProperty("User") String user,
      @JsonProperty("Env") List<String> env,
      @JsonProperty("Entrypoint") List<String> entrypoint,
      @JsonProperty("Cmd") List<String> cmd,
      @JsonProperty("WorkingDir") String workingDir) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  record ConfigJson(
      @JsonProperty("created") String created,
      @JsonProperty("author") String author,
      @JsonProperty("architecture") String architecture,
      @JsonProperty("os") String os,
      @JsonProperty("variant") String variant,
      @JsonProperty("config") ContainerConfigJson config,
      @JsonProperty("rootfs") RootfsJson rootfs,
      @JsonProperty("history") List<HistoryJson> history) {}

  /** docker save's manifest.json: one element per image. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record DockerArchiveEntryJson(
      @JsonProperty("Config") String config,
      @JsonProperty("RepoTags") List<String> repoTags,
      @JsonProperty("Layers") List<String> layers) {}
}
