package dev.strata.volume;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.google.common.collect.ImmutableSortedMap;
import dev.strata.blob.Durability;
import dev.strata.image.json.ImageJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A volume's {@code volume.json}: its name, when it was made and its labels. Written atomically
 * and last when a volume is staged, so a directory without it is no volume.
 */
final class VolumeFile {
  static final String NAME = "volume.json";

  /** The JSON of volume.json. */
  private record Json(@JsonProperty("name") String name, @JsonProperty("created") String created,
      @JsonProperty("labels") Map<String, String> labels) {}

  private VolumeFile() {}

  /** Writes the metadata of volume {@code name} into {@code dir}, through {@code tmp}. */
  static void write(Path dir, Path tmp, String name, String created, Map<String, String> labels) throws IOException {
    Json json = new Json(name, created, ImmutableSortedMap.copyOf(labels));
    Durability.writeAtomically(dir.resolve(NAME), tmp, ImageJson.bytes(json));
  }

  /** Reads the volume in {@code dir}, if it holds one. */
  static Optional<Volume> read(Path dir) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(dir.resolve(NAME));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    Json json = ImageJson.mapper().readValue(bytes, Json.class);
    return Optional.of(new Volume(json.name(), json.created(),
        json.labels() == null ? ImmutableSortedMap.of() : ImmutableSortedMap.copyOf(json.labels()), dir));
  }
}
