package dev.strata.transfer;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.strata.blob.ContentStore;
import dev.strata.blob.Durability;
import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.image.Image;
import dev.strata.image.Layer;
import dev.strata.image.ImageIndex;
import dev.strata.image.MediaType;
import dev.strata.image.json.ImageJson;
import dev.strata.image.json.ImageJson.DockerArchiveEntry;
import dev.strata.layer.LayerStreams;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import dev.strata.registry.Reference;
import dev.strata.registry.RegistryClient;
import dev.strata.registry.RegistryOptions;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Writes an image of the store to a registry ({@link RegistryPusher}), {@code oci:DIR[:REF]}, {@code oci-archive:FILE[:REF]} or
 * {@code docker-archive:FILE[:REPO:TAG]}. Blobs are copied byte for byte, so every digest is
 * kept; only docker-archive, whose format wants uncompressed layers, decompresses them.
 * Archives are written to a temp file beside the destination and renamed into place.
 */
public final class Pusher {
  /** Docker refuses RepoTags that are not references; such a name is written without tags. */
  private static final Pattern DOCKER_REF = Pattern.compile("[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?");

  private Pusher() {}

  /** Pushes {@code image} to {@code dest}; returns the manifest descriptor written. */
  public static Descriptor push(Store store, StoredImage image, Transports.Location dest) throws IOException {
    return push(store, image, dest, RegistryOptions.DEFAULT, TransferProgress.NONE, null);
  }

  /** Pushes {@code image} of {@code store} (its blobs read from there), as {@link #write} writes any image. */
  public static Descriptor push(Store store, StoredImage image, Transports.Location dest, RegistryOptions options,
      TransferProgress progress, Future<RegistryClient> connecting) throws IOException {
    try (Store.Lock lock = store.shared()) {
      return write(store, Images.of(store, image), image.name(), dest, options, progress, connecting);
    }
  }

  /**
   * Starts connecting to the registry {@code dest} names on a thread of its own, so that the
   * caller can load the image meanwhile (the connection's first use of the HTTP client and TLS
   * takes as long); null when {@code dest} is not a registry. Pass it to {@link #push}.
   */
  public static Future<RegistryClient> connectInBackground(Transports.Location dest, RegistryOptions options) {
    if (!dest.transport().equals("docker")) {
      return null;
    }
    Reference ref = dest.reference();
    FutureTask<RegistryClient> task = new FutureTask<>(() -> RegistryClient.connect(ref.host(), options));
    Thread t = new Thread(task, "strata-connect");
    t.setDaemon(true);
    t.start();
    return task;
  }

  /**
   * Writes {@code image} (named {@code name} where a destination names none) to {@code dest}, a
   * registry reached with {@code options}, or by the connection {@code connecting} from {@link
   * #connectInBackground} when not null. {@code store} (may be null) is where blobs the image
   * shares with it are read from as files, and where a registry push learns and records the
   * repositories blobs came from.
   */
  static Descriptor write(Store store, Image image, String name, Transports.Location dest, RegistryOptions options,
      TransferProgress progress, Future<RegistryClient> connecting) throws IOException {
    return switch (dest.transport()) {
      case "docker" -> {
        Reference ref = dest.reference();
        RegistryClient client = connecting != null ? await(connecting) : RegistryClient.connect(ref.host(), options);
        yield RegistryPusher.push(store, image, name, ref, client, progress);
      }
      case "oci" -> toLayout(image, dest.path(), dest.ref() != null ? dest.ref() : name);
      case "oci-archive" -> toOciArchive(image, dest.path(), dest.ref() != null ? dest.ref() : name);
      case "docker-archive" -> toDockerArchive(store, image, dest.path(), dest.ref() != null ? dest.ref() : name);
      default -> throw new IllegalArgumentException("cannot write to " + dest);
    };
  }

  /** The result of a task on another thread, its failure thrown as it was thrown there. */
  static <T> T await(Future<T> task) throws IOException {
    try {
      return task.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while pushing");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IOException(cause);
    }
  }

  private static List<Descriptor> blobsOf(Image image) {
    List<Descriptor> blobs = new ArrayList<>(image.manifest().layers());
    blobs.add(image.manifest().config());
    blobs.add(image.descriptor());
    return blobs;
  }

  private static Descriptor toLayout(Image image, Path dir, String ref) throws IOException {
    Store.checkTag(ref);
    Files.createDirectories(dir);
    Path tmp = dir.resolve(".strata-tmp");
    try {
      ContentStore target = ContentStore.flat(dir.resolve("blobs"), tmp);
      for (Descriptor d : blobsOf(image)) {
        if (target.size(d.digest()) != d.size()) {
          try (InputStream in = ImageBlobs.open(image, d)) {
            target.write(in, d.digest(), d.size());
          }
        }
      }
      if (!Files.exists(dir.resolve("oci-layout"))) {
        Durability.writeAtomically(dir.resolve("oci-layout"), tmp, Store.OCI_LAYOUT.getBytes(StandardCharsets.UTF_8));
      }
      Path indexFile = dir.resolve("index.json");
      List<Descriptor> manifests = new ArrayList<>();
      if (Files.exists(indexFile)) {
        for (Descriptor d : ImageJson.parseIndex(Files.readAllBytes(indexFile)).manifests()) {
          if (!ref.equals(d.refName())) {
            manifests.add(d);
          }
        }
      }
      Descriptor tagged = tagged(image, ref);
      manifests.add(tagged);
      Durability.writeAtomically(indexFile, tmp,
          ImageJson.write(new ImageIndex(null, ImmutableList.copyOf(manifests), ImmutableMap.of())));
      return tagged;
    } finally {
      Staging.delete(tmp);
    }
  }

  private static Descriptor tagged(Image image, String ref) {
    Descriptor d = image.descriptor();
    return new Descriptor(d.mediaType() != null ? d.mediaType() : MediaType.OCI_MANIFEST, d.digest(), d.size(),
        ImmutableMap.of(Descriptor.REF_NAME, ref), null);
  }

  private static Descriptor toOciArchive(Image image, Path file, String ref) throws IOException {
    Store.checkTag(ref);
    Descriptor tagged = tagged(image, ref);
    writeArchive(file, tar -> {
      add(tar, "oci-layout", Store.OCI_LAYOUT.getBytes(StandardCharsets.UTF_8));
      add(tar, "index.json", ImageJson.write(new ImageIndex(null, ImmutableList.of(tagged), ImmutableMap.of())));
      for (Descriptor d : blobsOf(image)) {
        try (InputStream in = ImageBlobs.open(image, d)) {
          add(tar, "blobs/" + d.digest().algorithm() + "/" + d.digest().hex(), in, d.size());
        }
      }
    });
    return tagged;
  }

  private static Descriptor toDockerArchive(Store store, Image image, Path file, String name) throws IOException {
    String repoTag = name.contains(":") ? name : name + ":latest";
    List<String> repoTags = DOCKER_REF.matcher(repoTag).matches() ? List.of(repoTag) : List.of();
    Digest configDigest = image.manifest().config().digest();
    String configName = configDigest.hex() + ".json";
    List<String> layerNames = new ArrayList<>();
    Path parent = file.toAbsolutePath().getParent();
    writeArchive(file, tar -> {
      add(tar, configName, image.rawConfig());
      for (Layer layer : image.layers()) {
        String layerName = layer.diffId().hex() + "/layer.tar";
        if (layerNames.contains(layerName)) {
          continue;
        }
        layerNames.add(layerName);
        // A tar entry's size comes first: the layer index of the store says it; a layer the store
        // has not indexed is decompressed to a file beside the archive first, to be measured.
        if (store != null && store.layers().contains(layer.diffId())) {
          try (InputStream in = uncompressed(image, layer)) {
            add(tar, layerName, in, store.layers().read(layer.diffId()).tarSize());
          }
          continue;
        }
        Path spill = Durability.createTempFile(parent, "." + file.getFileName() + "-layer");
        try {
          try (InputStream in = uncompressed(image, layer)) {
            Files.copy(in, spill, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
          }
          try (InputStream in = Files.newInputStream(spill)) {
            add(tar, layerName, in, Files.size(spill));
          }
        } finally {
          Files.deleteIfExists(spill);
        }
      }
      List<String> allLayers = new ArrayList<>();
      for (Digest diffId : image.config().diffIds()) {
        allLayers.add(diffId.hex() + "/layer.tar");
      }
      add(tar, "manifest.json", ImageJson.writeDockerArchiveManifest(
          List.of(new DockerArchiveEntry(configName, repoTags, allLayers))));
    });
    return image.descriptor();
  }

  private static InputStream uncompressed(Image image, Layer layer) throws IOException {
    return LayerStreams.decompress(ImageBlobs.open(image, layer.descriptor()),
        MediaType.layerCompression(layer.descriptor().mediaType()));
  }

  private interface TarBody {
    void write(TarArchiveOutputStream tar) throws IOException;
  }

  private static void writeArchive(Path file, TarBody body) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path temp = Durability.createTempFile(parent, "." + file.getFileName());
    try {
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 16);
          TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        body.write(tar);
        tar.finish();
      }
      Durability.fsync(temp);
      Durability.renameDurably(temp, file);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private static void add(TarArchiveOutputStream tar, String name, byte[] bytes) throws IOException {
    add(tar, name, new java.io.ByteArrayInputStream(bytes), bytes.length);
  }

  /** Adds a regular file with fixed owner, mode and time, so archives are reproducible. */
  private static void add(TarArchiveOutputStream tar, String name, InputStream in, long size) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name);
    e.setSize(size);
    e.setMode(0100644);
    e.setModTime(0);
    tar.putArchiveEntry(e);
    long copied = in.transferTo(tar);
    if (copied != size) {
      throw new IOException(name + ": expected " + size + " bytes, got " + copied);
    }
    tar.closeArchiveEntry();
  }
}
