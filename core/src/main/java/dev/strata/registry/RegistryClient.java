package dev.strata.registry;

import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.image.ImageIndex;
import dev.strata.image.MediaType;
import dev.strata.image.Platform;
import dev.strata.image.json.ImageJson;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongConsumer;
import java.util.stream.Collectors;

/** A connection to one registry, with the few operations pulling and pushing images need. */
public final class RegistryClient {
  private final Transport transport;
  private final long chunkSize;

  private RegistryClient(Transport transport, long chunkSize) {
    this.transport = transport;
    this.chunkSize = chunkSize;
  }

  /**
   * Connects to the registry of {@code host} (a reference's host, such as {@code docker.io}),
   * with the options' credentials, else those the Docker config files hold for the host.
   */
  public static RegistryClient connect(String host, RegistryOptions options) throws IOException {
    Credentials creds = options.credentials() != null ? options.credentials() : DockerConfig.lookup(host).orElse(null);
    return new RegistryClient(Transport.connect(Reference.endpoint(host), creds, options), options.chunkSize());
  }

  /**
   * Loads the classes of registry connections without connecting anywhere, for a class-data
   * archive; a failure only means less is loaded.
   */
  public static void preloadClasses() {
    try {
      Transport.preload();
    } catch (Exception | LinkageError e) {
      // nothing wrong: the archive holds less
    }
  }

  /** The image manifest a reference resolves to, with its bytes as served. */
  public record ImageManifest(Descriptor descriptor, byte[] bytes) {}

  /**
   * Fetches the manifest {@code ref} names; an index (manifest list) is resolved to the entry
   * for {@code platform}. Every manifest is checked against its digest.
   */
  public ImageManifest manifest(Reference ref, Platform platform) throws IOException {
    Manifests.Fetched top = Manifests.get(transport, ref.repository(), ref.manifestRef());
    String type = top.mediaType() != null && !top.mediaType().equals("application/json")
        ? top.mediaType() : ImageJson.mediaTypeOf(top.bytes());
    if (!MediaType.isIndex(type)) {
      if (!MediaType.isManifest(type)) {
        throw new IOException(ref + " is a " + type + ", not an image manifest or index");
      }
      return new ImageManifest(Descriptor.of(type, top.digest(), top.bytes().length), top.bytes());
    }
    ImageIndex index = ImageJson.parseIndex(top.bytes());
    Descriptor chosen = index.forPlatform(platform).orElseThrow(() -> new IOException(
        "the image index " + ref + " has no manifest for " + platform + "; it has: "
            + index.manifests().stream().map(d -> String.valueOf(d.platform())).collect(Collectors.joining(", "))
            + " (choose with --platform OS/ARCH[/VARIANT])"));
    Manifests.Fetched child = Manifests.get(transport, ref.repository(), chosen.digest().toString());
    if (child.bytes().length != chosen.size()) {
      throw dev.strata.digest.DigestMismatchException.of("size of manifest " + chosen.digest(), chosen.size(),
          child.bytes().length);
    }
    String childType = chosen.mediaType() != null ? chosen.mediaType() : ImageJson.mediaTypeOf(child.bytes());
    return new ImageManifest(Descriptor.of(childType, child.digest(), child.bytes().length), child.bytes());
  }

  /** Opens a blob as a stream; the caller verifies it. */
  public InputStream openBlob(String repo, Digest digest) throws IOException {
    return Blobs.open(transport, repo, digest, 0);
  }

  /**
   * Downloads a blob into {@code file}, resuming broken connections, and verifies its size and
   * digest; {@code progress} hears the bytes received so far.
   */
  public void download(String repo, Descriptor blob, Path file, LongConsumer progress) throws IOException {
    BlobDownload.run(transport, repo, blob, file, progress);
  }

  /** How a blob got to the registry. */
  public enum BlobPush {
    /** It was there already. */
    EXISTS,
    /** Linked from another repository of the registry, no bytes sent. */
    MOUNTED,
    /** Uploaded. */
    UPLOADED
  }

  /**
   * Makes {@code blob} present in {@code repo}: nothing if it is there, a mount from
   * {@code mountFrom} (a repository of this registry, or null) if the registry has it there,
   * else an upload: in one request, or in chunks when the options ask for them and the blob is
   * bigger than one.
   */
  public BlobPush pushBlob(String repo, Descriptor blob, BlobBytes bytes, String mountFrom) throws IOException {
    OptionalLong size = Blobs.head(transport, repo, blob.digest(), Scopes.push(repo));
    if (size.isPresent() && (size.getAsLong() == blob.size() || size.getAsLong() < 0)) {
      return BlobPush.EXISTS;
    }
    String location;
    if (mountFrom != null && !mountFrom.equals(repo)) {
      Optional<String> session = Uploads.mount(transport, repo, blob.digest(), mountFrom);
      if (session.isEmpty()) {
        return BlobPush.MOUNTED;
      }
      location = session.get();
    } else {
      location = Uploads.start(transport, repo);
    }
    if (chunkSize > 0 && blob.size() > chunkSize) {
      Uploads.chunked(transport, repo, location, blob.digest(), blob.size(), bytes, chunkSize);
    } else {
      Uploads.monolithic(transport, repo, location, blob.digest(), blob.size(), bytes);
    }
    return BlobPush.UPLOADED;
  }

  /** Puts a manifest under {@code tag}; returns its digest. */
  public Digest putManifest(String repo, String tag, String mediaType, byte[] bytes) throws IOException {
    return Manifests.put(transport, repo, tag, mediaType, bytes);
  }

  @Override
  public String toString() {
    return "RegistryClient[" + transport.host() + "]";
  }
}
