package dev.strata.volume;

import dev.strata.layout.Containers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The containers that use a volume: an empty file {@code users/CONTAINER} in the volume's
 * directory each. A user whose container is gone from the store (removed, or never made by a
 * run that died) is stale: it keeps nobody from removing the volume.
 */
final class Users {
  private static final String DIR = "users";

  private Users() {}

  /** Records that container {@code container} uses the volume in {@code volumeDir}. */
  static void add(Path volumeDir, String container) throws IOException {
    Path file = Files.createDirectories(volumeDir.resolve(DIR)).resolve(Containers.checkName(container));
    if (!Files.exists(file)) {
      Files.createFile(file);
    }
  }

  /** Forgets that {@code container} uses the volume; returns whether it was recorded. */
  static boolean remove(Path volumeDir, String container) throws IOException {
    return Files.deleteIfExists(volumeDir.resolve(DIR).resolve(Containers.checkName(container)));
  }

  /** Returns the recorded users whose containers exist, in name order. */
  static List<String> live(Path volumeDir, Containers containers) throws IOException {
    List<String> out = new ArrayList<>();
    for (String name : recorded(volumeDir)) {
      if (exists(containers, name)) {
        out.add(name);
      }
    }
    return out;
  }

  private static List<String> recorded(Path volumeDir) throws IOException {
    try (Stream<Path> files = Files.list(volumeDir.resolve(DIR))) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (NoSuchFileException e) {
      return List.of();
    }
  }

  private static boolean exists(Containers containers, String name) {
    try {
      return containers.get(name).isPresent();
    } catch (IOException | RuntimeException e) {
      // A container that cannot be read may still be one (fsck's business): its volume stays.
      return true;
    }
  }
}
