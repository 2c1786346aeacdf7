package dev.strata.layout;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.strata.blob.Durability;
import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.image.json.ImageJson;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The containers of a store: {@code containers/NAME/} holds {@code container.json} (which
 * image it was made from), the writable {@code upper/} and the overlay's {@code work/}. A
 * container outlives its mounts, so that what was written can be committed as a layer; its
 * image stays alive for gc as long as the container exists.
 *
 * <p>One process at a time may use a container: {@link #use} takes an fcntl lock on
 * {@code containers/NAME/lock}, which the kernel drops when the process dies, so a crashed
 * mount never leaves the container stuck.
 */
public final class Containers {
  private static final String MOUNTS = "mounts.json";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

  private final Store store;
  private final Path root;

  /** What a container was made from. */
  public record Container(String name, String image, Descriptor manifest, String created, Path dir) {
    public Path upper() {
      return dir.resolve("upper");
    }

    public Path work() {
      return dir.resolve("work");
    }
  }

  /**
   * A file system a container's runs mount beside its union ({@code strata run -v}).
   *
   * @param type {@code volume} (source a volume's name) or {@code bind} (source a host directory)
   * @param source the volume's name or the host directory's absolute path
   * @param destination the absolute path in the container
   * @param readOnly mounted read-only
   */
  public record Mount(@JsonProperty("type") String type, @JsonProperty("source") String source,
      @JsonProperty("destination") String destination, @JsonProperty("readOnly") boolean readOnly) {
    public static final String VOLUME = "volume";
    public static final String BIND = "bind";
  }

  /** The JSON of container.json. */
  private record ContainerJson(@JsonProperty("name") String name, @JsonProperty("image") String image,
      @JsonProperty("manifest") String manifest, @JsonProperty("manifestSize") long manifestSize,
      @JsonProperty("manifestMediaType") String manifestMediaType, @JsonProperty("created") String created) {}

  public Containers(Store store) {
    this.store = store;
    this.root = store.root().resolve("containers");
  }

  /** Checks that {@code name} can name a container (and a directory). */
  public static String checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid container name '" + name
          + "': use letters, digits, '_', '.' and '-', starting with a letter or digit, at most 128");
    }
    return name;
  }

  /** A container name made from an image name: {@code debian:minbase} gives {@code debian-minbase}. */
  public static String nameFor(String image) {
    String n = image.replaceAll("[^A-Za-z0-9_.-]", "-").replaceAll("^[^A-Za-z0-9]+", "");
    return checkName(n.isEmpty() ? "container" : n.length() > 128 ? n.substring(0, 128) : n);
  }

  /** Returns the container {@code name}, if it exists. */
  public Optional<Container> get(String name) throws IOException {
    Path dir = root.resolve(checkName(name));
    byte[] json;
    try {
      json = Files.readAllBytes(dir.resolve("container.json"));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    ContainerJson c = ImageJson.mapper().readValue(json, ContainerJson.class);
    Descriptor d = Descriptor.of(c.manifestMediaType(), Digest.parse(c.manifest()), c.manifestSize());
    return Optional.of(new Container(c.name(), c.image(), d, c.created(), dir));
  }

  /** Every container, in name order; unreadable ones are left out. */
  public List<Container> list() throws IOException {
    List<Container> out = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path d : dirs.sorted().toList()) {
        String n = d.getFileName().toString();
        if (NAME.matcher(n).matches()) {
          try {
            get(n).ifPresent(out::add);
          } catch (IOException | RuntimeException e) {
            // half-made or damaged: not a container anyone can use; fsck's business
          }
        }
      }
    }
    return out;
  }

  /**
   * Returns container {@code name}, creating it from {@code image} if it does not exist. An
   * existing container must have been made from the same image: its upper was written over
   * that image's layers and means nothing over others.
   */
  public Container getOrCreate(String name, StoredImage image) throws IOException {
    Optional<Container> existing = get(name);
    if (existing.isPresent()) {
      Container c = existing.get();
      if (!c.manifest().digest().equals(image.descriptor().digest())) {
        throw new IllegalArgumentException("container '" + name + "' was made from " + c.image() + " ("
            + c.manifest().digest().shortHex() + "), not from " + image.name() + " ("
            + image.descriptor().digest().shortHex() + "); choose another --name");
      }
      return c;
    }
    Path dir = root.resolve(checkName(name));
    Files.createDirectories(dir.resolve("upper"));
    Files.createDirectories(dir.resolve("work"));
    Descriptor d = image.descriptor();
    ContainerJson json = new ContainerJson(name, image.name(), d.digest().toString(), d.size(), d.mediaType(),
        Instant.now().toString());
    // Written last and atomically: a directory without it is not a container yet.
    Durability.writeAtomically(dir.resolve("container.json"), store.tmp(), ImageJson.bytes(json));
    return get(name).orElseThrow();
  }

  /**
   * Records the mounts of container {@code c}'s latest run, in {@code mounts.json} beside its
   * container.json, written atomically: what {@code --volumes-from} mounts again.
   */
  public void writeMounts(Container c, List<Mount> mounts) throws IOException {
    Durability.writeAtomically(c.dir().resolve(MOUNTS), store.tmp(), ImageJson.bytes(List.copyOf(mounts)));
  }

  /** The mounts recorded for container {@code c}; none if its runs mounted nothing. */
  public List<Mount> mounts(Container c) throws IOException {
    byte[] json;
    try {
      json = Files.readAllBytes(c.dir().resolve(MOUNTS));
    } catch (NoSuchFileException e) {
      return List.of();
    }
    return List.of(ImageJson.mapper().readValue(json, Mount[].class));
  }

  /** A container in use by this process; close lets it go. */
  public interface InUse extends AutoCloseable {
    @Override
    void close() throws IOException;
  }

  /** Takes container {@code c} for this process, or fails at once if another process has it. */
  public InUse use(Container c) throws IOException {
    FileChannel ch = FileChannel.open(c.dir().resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      ch.close();
      throw new IllegalStateException("container '" + c.name() + "' is in use (mounted or being committed); "
          + "unmount it first");
    }
    FileLock held = lock;
    return () -> {
      held.release();
      ch.close();
    };
  }

  /** Deletes container {@code c}: its upper is gone for good. The caller holds {@link #use}. */
  public void remove(Container c) throws IOException {
    // container.json first: from then on a leftover directory is no container.
    Files.deleteIfExists(c.dir().resolve("container.json"));
    try (Stream<Path> walk = Files.walk(c.dir())) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
