package dev.strata.blob;

import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableSortedSet;
import dev.strata.digest.Digest;
import dev.strata.digest.DigestMismatchException;
import dev.strata.digest.DigestingInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A directory of files named by the digest of their content.
 *
 * <p>Two layouts share this class: OCI blobs ({@code blobs/sha256/<hex>}) and Strata's file
 * objects ({@code objects/sha256/<xx>/<hex>}, fanned out because a store holds hundreds of
 * thousands of them). Every write goes through {@code tmp/} on the same filesystem.
 */
public final class ContentStore {
  private final Path root;
  private final Path tmp;
  private final Function<Digest, Path> layout;
  private final boolean fannedOut;

  private ContentStore(Path root, Path tmp, boolean fannedOut) {
    this.root = root;
    this.tmp = tmp;
    this.fannedOut = fannedOut;
    this.layout = fannedOut
        ? d -> root.resolve(d.algorithm()).resolve(d.hex().substring(0, 2)).resolve(d.hex())
        : d -> root.resolve(d.algorithm()).resolve(d.hex());
  }

  /** The OCI blob directory {@code root/sha256/<hex>}. */
  public static ContentStore flat(Path root, Path tmp) {
    return new ContentStore(root, tmp, false);
  }

  /** A fanned-out directory {@code root/sha256/<xx>/<hex>}. */
  public static ContentStore fannedOut(Path root, Path tmp) {
    return new ContentStore(root, tmp, true);
  }

  /** Returns the root directory. */
  public Path root() {
    return root;
  }

  /** Returns where {@code digest} lives (whether or not it is there). */
  public Path path(Digest digest) {
    return layout.apply(checkNotNull(digest));
  }

  /** Returns whether {@code digest} is stored. */
  public boolean contains(Digest digest) {
    return Files.isRegularFile(path(digest));
  }

  /** Returns the size of the stored {@code digest}, or -1 if absent. */
  public long size(Digest digest) throws IOException {
    try {
      return Files.size(path(digest));
    } catch (NoSuchFileException e) {
      return -1;
    }
  }

  /** Opens the content of {@code digest}; fails with NoSuchFileException if absent. */
  public InputStream open(Digest digest) throws IOException {
    return Files.newInputStream(path(digest));
  }

  /** Reads the whole content of a small blob (a manifest or config). */
  public byte[] readAllBytes(Digest digest) throws IOException {
    return Files.readAllBytes(path(digest));
  }

  /** Starts writing a blob of not yet known digest. */
  public PendingBlob begin() throws IOException {
    Files.createDirectories(tmp);
    return new PendingBlob(this, Durability.createTempFile(tmp, "blob-"));
  }

  /**
   * Stores the bytes of {@code in}, verifying them against {@code expected} and {@code size}
   * (-1: any size) before they become visible. Returns the digest.
   */
  public Digest write(InputStream in, Digest expected, long size) throws IOException {
    try (PendingBlob pending = begin()) {
      in.transferTo(pending.output());
      return pending.commit(expected, size);
    }
  }

  /** Stores {@code bytes} and returns their sha256 digest. */
  public Digest write(byte[] bytes) throws IOException {
    Digest digest = Digest.sha256(bytes);
    if (!contains(digest)) {
      try (PendingBlob pending = begin()) {
        pending.output().write(bytes);
        pending.commit(digest, bytes.length);
      }
    }
    return digest;
  }

  /**
   * Moves {@code file} (under the store's tmp/) into place as {@code digest}, for content whose
   * digest the caller verified over the very bytes it wrote to that file (a registry download
   * hashes what it writes): so a layer is neither copied nor hashed twice. The size is checked
   * again, and the file is made durable before its name; the file is gone afterwards.
   */
  public void adopt(Path file, Digest digest, long size) throws IOException {
    try {
      long actual = Files.size(file);
      if (actual != size) {
        throw mismatch("size of blob " + digest, size, actual);
      }
      try {
        // As a blob written here would be: readable by all, whatever the umask said.
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX filesystem: keep the default
      }
      Durability.fsync(file);
      if (place(file, digest)) {
        Durability.fsyncDirectory(path(digest).getParent());
      }
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** Starts a batch of writes made durable together, each a file of its own (see {@link ObjectBatch}). */
  public ObjectBatch batch() throws IOException {
    Files.createDirectories(tmp);
    return new ObjectBatch(this, null, Files.createTempDirectory(tmp, "batch-"));
  }

  /** Returns the staging directory. */
  Path tmp() {
    return tmp;
  }

  /** Moves a finished, durable temp file into place unless the digest is stored already. */
  boolean place(Path temp, Digest digest) throws IOException {
    return Durability.moveIfAbsent(temp, path(digest));
  }

  /** Removes {@code digest}; returns whether it was there. */
  public boolean delete(Digest digest) throws IOException {
    return Files.deleteIfExists(path(digest));
  }

  /** Re-hashes the stored content of {@code digest} and says whether it still matches. */
  public boolean verify(Digest digest) throws IOException {
    try (DigestingInputStream in = new DigestingInputStream(open(digest), digest.algorithm())) {
      in.transferTo(OutputStreams.NULL);
      return in.digest().equals(digest);
    }
  }

  /** Lists every stored digest, sorted; names that are not digests are reported as strays. */
  public ImmutableSortedSet<Digest> list(java.util.function.Consumer<Path> strays) throws IOException {
    ImmutableSortedSet.Builder<Digest> out = ImmutableSortedSet.naturalOrder();
    if (!Files.isDirectory(root)) {
      return out.build();
    }
    try (Stream<Path> files = Files.walk(root)) {
      // Packs live inside the objects directory but are listed by ObjectStore.
      Path packs = root.resolve(ObjectStore.PACKS);
      for (Path file : (Iterable<Path>) files.filter(f -> !f.startsWith(packs) && Files.isRegularFile(f))::iterator) {
        Digest digest = digestOf(file);
        if (digest == null) {
          strays.accept(file);
        } else {
          out.add(digest);
        }
      }
    }
    return out.build();
  }

  private Digest digestOf(Path file) {
    Path rel = root.relativize(file);
    int expectedNames = fannedOut ? 3 : 2;
    if (rel.getNameCount() != expectedNames) {
      return null;
    }
    try {
      Digest d = new Digest(rel.getName(0).toString(), rel.getFileName().toString());
      return path(d).equals(file) ? d : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  static DigestMismatchException mismatch(String what, Object expected, Object actual) {
    return DigestMismatchException.of(what, expected, actual);
  }
}
