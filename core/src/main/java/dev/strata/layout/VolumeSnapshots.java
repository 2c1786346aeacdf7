package dev.strata.layout;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.strata.blob.Durability;
import dev.strata.digest.Digest;
import dev.strata.image.json.ImageJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The versions of a volume, on disk in its directory: {@code snapshots/HEX.json} (one document
 * per snapshot, named by the sha256 of its bytes), {@code branches/BRANCH} (a branch: the id of
 * its newest snapshot) and {@code HEAD} (the current branch's name; {@code main} when absent).
 * Here, in the layout, because gc keeps what the snapshots of every volume reach.
 */
public final class VolumeSnapshots {
  /** The branch a volume is on before any checkout. */
  public static final String MAIN = "main";
  private static final String SNAPSHOTS = "snapshots";
  private static final String BRANCHES = "branches";
  private static final String HEAD = "HEAD";
  /** Branch names as git's simplest: one path component, not starting with '.' or '-'. */
  private static final Pattern BRANCH = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}");
  private static final Pattern ID = Pattern.compile("[0-9a-f]{64}");

  private VolumeSnapshots() {}

  /**
   * A snapshot: the layer of the changes since its parent (its blob and diff id, in the store)
   * and what its maker said.
   *
   * @param id the sha256 (hex) of its document, which is everything below
   * @param parent the snapshot it was made on, or null for a volume's first
   * @param diffId the diff id of its layer
   * @param blob the digest of its layer's compressed blob
   * @param size the blob's size in bytes
   * @param mediaType the blob's OCI media type
   * @param message what it was made for
   * @param created when, as an ISO-8601 instant
   */
  public record Snapshot(String id, String parent, Digest diffId, Digest blob, long size, String mediaType,
      String message, String created) {
    /** The first 12 hex digits of the id, as log prints it. */
    public String shortId() {
      return id.substring(0, 12);
    }
  }

  /** The JSON of a snapshot's document (the id is its digest, so not in it). */
  private record Json(@JsonProperty("parent") String parent, @JsonProperty("diffId") String diffId,
      @JsonProperty("blob") String blob, @JsonProperty("size") long size, @JsonProperty("mediaType") String mediaType,
      @JsonProperty("message") String message, @JsonProperty("created") String created) {}

  /** Checks that {@code name} can name a branch. */
  public static String checkBranch(String name) {
    if (name == null || !BRANCH.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid branch name '" + name
          + "': use letters, digits, '_', '.' and '-', not starting with '.' or '-', at most 128");
    }
    return name;
  }

  /** Writes the document of {@code s} (its id ignored) into {@code volumeDir}; returns it with its id. */
  public static Snapshot write(Path volumeDir, Path tmp, Snapshot s) throws IOException {
    byte[] bytes = document(s);
    String id = Digest.sha256(bytes).hex();
    Durability.writeAtomically(volumeDir.resolve(SNAPSHOTS).resolve(id + ".json"), tmp, bytes);
    return new Snapshot(id, s.parent(), s.diffId(), s.blob(), s.size(), s.mediaType(), s.message(), s.created());
  }

  /**
   * The id {@code s}'s fields give (its own id ignored): what a snapshot that came from
   * elsewhere must be named, so that a record cannot claim another's place in a chain.
   */
  public static String idOf(Snapshot s) {
    return Digest.sha256(document(s)).hex();
  }

  private static byte[] document(Snapshot s) {
    return ImageJson.bytes(new Json(s.parent(), s.diffId().toString(), s.blob().toString(), s.size(),
        s.mediaType(), s.message(), s.created()));
  }

  /** Reads snapshot {@code id} of the volume in {@code volumeDir}, if it has it. */
  public static Optional<Snapshot> read(Path volumeDir, String id) throws IOException {
    if (!ID.matcher(id).matches()) {
      return Optional.empty();
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(volumeDir.resolve(SNAPSHOTS).resolve(id + ".json"));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    Json j = ImageJson.mapper().readValue(bytes, Json.class);
    return Optional.of(new Snapshot(id, j.parent(), Digest.parse(j.diffId()), Digest.parse(j.blob()), j.size(),
        j.mediaType(), j.message(), j.created()));
  }

  /** The snapshot whose id starts with {@code prefix} (at least 4 hex digits), failing unless exactly one does. */
  public static Snapshot resolve(Path volumeDir, String prefix) throws IOException {
    List<String> found = new ArrayList<>();
    if (prefix.matches("[0-9a-f]{4,64}")) {
      try (Stream<Path> files = Files.list(volumeDir.resolve(SNAPSHOTS))) {
        files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json") && n.startsWith(prefix))
            .forEach(n -> found.add(n.substring(0, n.length() - ".json".length())));
      } catch (NoSuchFileException e) {
        // no snapshot yet
      }
    }
    if (found.size() != 1) {
      throw new IllegalArgumentException((found.isEmpty() ? "no snapshot '" : "more than one snapshot starts with '")
          + prefix + "' in volume '" + volumeDir.getFileName() + "'");
    }
    return read(volumeDir, found.get(0)).orElseThrow();
  }

  /** The snapshot {@code branch} points at, if it exists and has one. */
  public static Optional<String> branch(Path volumeDir, String branch) throws IOException {
    try {
      return Optional.of(Files.readString(volumeDir.resolve(BRANCHES).resolve(checkBranch(branch))).strip());
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /** Every branch and its snapshot, in name order. */
  public static TreeMap<String, String> branches(Path volumeDir) throws IOException {
    TreeMap<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.list(volumeDir.resolve(BRANCHES))) {
      for (Path p : files.toList()) {
        String name = p.getFileName().toString();
        if (BRANCH.matcher(name).matches()) {
          out.put(name, Files.readString(p).strip());
        }
      }
    } catch (NoSuchFileException e) {
      // no snapshot yet
    }
    return out;
  }

  /** Points {@code branch} at snapshot {@code id}: one atomic rename, the moment a commit or reset happens. */
  public static void setBranch(Path volumeDir, Path tmp, String branch, String id) throws IOException {
    Durability.writeAtomically(volumeDir.resolve(BRANCHES).resolve(checkBranch(branch)), tmp,
        (id + "\n").getBytes(StandardCharsets.US_ASCII));
  }

  /** The current branch. */
  public static String head(Path volumeDir) throws IOException {
    try {
      return checkBranch(Files.readString(volumeDir.resolve(HEAD)).strip());
    } catch (NoSuchFileException e) {
      return MAIN;
    }
  }

  /** Makes {@code branch} the current one. */
  public static void setHead(Path volumeDir, Path tmp, String branch) throws IOException {
    Durability.writeAtomically(volumeDir.resolve(HEAD), tmp, (checkBranch(branch) + "\n").getBytes(StandardCharsets.US_ASCII));
  }

  /** {@code id} and its ancestors, newest first; a missing one ends the chain (fsck's business). */
  public static List<Snapshot> chain(Path volumeDir, String id) throws IOException {
    List<Snapshot> out = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (String next = id; next != null && seen.add(next); ) {
      Optional<Snapshot> s = read(volumeDir, next);
      if (s.isEmpty()) {
        break;
      }
      out.add(s.get());
      next = s.get().parent();
    }
    return out;
  }

  /** Every snapshot some branch of the volume in {@code volumeDir} reaches. */
  static Set<Snapshot> reachable(Path volumeDir) throws IOException {
    Set<Snapshot> out = new LinkedHashSet<>();
    for (String tip : branches(volumeDir).values()) {
      out.addAll(chain(volumeDir, tip));
    }
    return out;
  }

  /** The directories of a store's volumes. */
  static List<Path> volumeDirs(Store store) throws IOException {
    try (Stream<Path> dirs = Files.list(store.root().resolve("volumes"))) {
      return dirs.filter(Files::isDirectory).sorted().toList();
    } catch (NoSuchFileException e) {
      return List.of();
    }
  }
}
