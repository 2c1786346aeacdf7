package dev.strata.transfer;

import dev.strata.blob.Durability;
import dev.strata.digest.Digest;
import dev.strata.digest.DigestMismatchException;
import dev.strata.digest.DigestingInputStream;
import dev.strata.image.Descriptor;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * An image archive (oci-archive, docker-archive) being written: into a temp file beside its
 * destination, renamed over it only once whole, so a failed write leaves what was there. Its
 * entries are regular files of fixed owner, mode and time: one image makes one archive.
 */
final class ArchiveFile {
  /** Writes the entries of an archive. */
  @FunctionalInterface
  interface Body {
    void write(ArchiveFile archive) throws IOException;
  }

  private final Path file;
  private final TarArchiveOutputStream tar;

  private ArchiveFile(Path file, TarArchiveOutputStream tar) {
    this.file = file;
    this.tar = tar;
  }

  /** Writes {@code file} with the entries {@code body} adds. */
  static void write(Path file, Body body) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path temp = Durability.createTempFile(parent, "." + file.getFileName());
    try {
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 16);
          TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        body.write(new ArchiveFile(file, tar));
        tar.finish();
      }
      Durability.fsync(temp);
      Durability.renameDurably(temp, file);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Adds {@code name} holding {@code bytes}. */
  void add(String name, byte[] bytes) throws IOException {
    add(name, new ByteArrayInputStream(bytes), bytes.length);
  }

  /** Adds {@code name} holding the {@code size} bytes of {@code in}; fails if it has other than that. */
  void add(String name, InputStream in, long size) throws IOException {
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

  /**
   * Adds {@code name} holding the blob {@code blob}, checked against its digest as it goes:
   * an archive names blobs by digest, and an image from outside the store was never checked.
   */
  void addBlob(String name, ImageBlobs.Blob blob) throws IOException {
    Descriptor d = blob.descriptor();
    try (DigestingInputStream in = new DigestingInputStream(blob.open(), d.digest().algorithm())) {
      add(name, in, d.size());
      Digest actual = in.digest();
      if (!actual.equals(d.digest())) {
        throw DigestMismatchException.of("blob " + d.digest(), d.digest(), actual);
      }
    }
  }

  /**
   * Makes an empty file beside the archive for the caller to fill and delete: on the
   * destination's filesystem, which has room for what the archive will hold.
   */
  Path scratchFile() throws IOException {
    return Durability.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName() + "-part-");
  }
}
