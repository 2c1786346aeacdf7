package dev.strata.layout;

import dev.strata.blob.Durability;
import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.image.MediaType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The build cache of a store: for each build step that was run, the image it made, under the
 * key of what the step saw (its parent image, its instruction, the build arguments, the
 * contents of the files it copied). {@code build-cache/<key>} holds the manifest's media type,
 * digest and size; the images are untagged manifests of the store, kept from gc by their
 * entries. An entry whose image is gone (the store was repaired) is a miss, not an error.
 */
public final class BuildCache {
  private final Store store;
  private final Path dir;

  public BuildCache(Store store) {
    this.store = store;
    this.dir = store.root().resolve("build-cache");
  }

  /** Returns the image step {@code key} made, if the cache has it and the store still holds it. */
  public Optional<Descriptor> get(Digest key) throws IOException {
    Descriptor d;
    try {
      d = parse(Files.readString(dir.resolve(key.hex()), StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    return d != null && store.blobs().contains(d.digest()) ? Optional.of(d) : Optional.empty();
  }

  /** Records that step {@code key} made the image of manifest {@code manifest} (in the store). */
  public void put(Digest key, Descriptor manifest) throws IOException {
    Files.createDirectories(dir);
    String line = (manifest.mediaType() != null ? manifest.mediaType() : MediaType.OCI_MANIFEST) + " "
        + manifest.digest() + " " + manifest.size() + "\n";
    Durability.writeAtomically(dir.resolve(key.hex()), store.tmp(), line.getBytes(StandardCharsets.UTF_8));
  }

  /** Returns the manifests the cache keeps: roots for gc. */
  List<Descriptor> manifests() throws IOException {
    List<Descriptor> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        Descriptor d = parse(Files.readString(p, StandardCharsets.UTF_8));
        if (d != null) {
          out.add(d);
        }
      }
    }
    return out;
  }

  /** Parses an entry; null for one that is damaged (a crash cannot make one: writes are atomic). */
  private static Descriptor parse(String text) {
    String[] parts = text.trim().split(" ");
    if (parts.length != 3) {
      return null;
    }
    try {
      return Descriptor.of(parts[0], Digest.parse(parts[1]), Long.parseLong(parts[2]));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
