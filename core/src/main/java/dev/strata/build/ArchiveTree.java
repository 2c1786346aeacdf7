package dev.strata.build;

import dev.strata.host.Names;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;

/**
 * Unpacks a local tar archive into a draft or a union, as {@code ADD} does: plain, gzip, bzip2
 * or zstd, told by the first bytes, not the name. Entries keep the archive's owners, modes and
 * times (unless the options set them); a name that would leave the destination is refused.
 */
final class ArchiveTree {
  private ArchiveTree() {}

  /** Whether {@code file} is a tar archive ADD unpacks (a tar, compressed or not). */
  static boolean isArchive(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return false;
    }
    try (InputStream in = decompressed(new BufferedInputStream(Files.newInputStream(file)))) {
      byte[] header = in.readNBytes(512);
      return header.length == 512 && TarArchiveInputStream.matches(header, header.length);
    } catch (IOException e) {
      return false; // compressed bytes that are not a tar, or not what their magic says
    }
  }

  /** Unpacks {@code archive} into {@code dest}. */
  static void unpack(Path archive, String dest, EntrySink sink, CopyOptions options) throws IOException {
    try (BufferedInputStream raw = new BufferedInputStream(Files.newInputStream(archive), 1 << 16);
        TarArchiveInputStream tar = new TarArchiveInputStream(decompressed(raw))) {
      for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
        String name = ImagePaths.normalize(dest + "/" + e.getName());
        if (name.equals(dest) && !e.isDirectory()) {
          continue;
        }
        FileAttributes a = attributes(e, options);
        Draft.Node node;
        if (e.isDirectory()) {
          node = new Draft.Node(Draft.Kind.DIRECTORY, a, null, null, 0, 0);
        } else if (e.isSymbolicLink()) {
          node = new Draft.Node(Draft.Kind.SYMLINK, a, null, e.getLinkName(), 0, 0);
        } else if (e.isLink()) {
          node = Draft.Node.hardlink(a, ImagePaths.normalize(dest + "/" + e.getLinkName()));
        } else if (e.isFIFO()) {
          node = new Draft.Node(Draft.Kind.FIFO, a, null, null, 0, 0);
        } else if (e.isCharacterDevice()) {
          node = new Draft.Node(Draft.Kind.CHAR_DEVICE, a, null, null, e.getDevMajor(), e.getDevMinor());
        } else if (e.isBlockDevice()) {
          node = new Draft.Node(Draft.Kind.BLOCK_DEVICE, a, null, null, e.getDevMajor(), e.getDevMinor());
        } else if (e.isFile()) {
          if (sink instanceof Draft) {
            // A draft reads its files when the layer is written, after the archive is closed:
            // the entry's bytes wait in a file of their own.
            Path spill = Files.createTempFile(Scratch.directory(BuildOptions.defaults()), "add-", ".bin");
            spill.toFile().deleteOnExit();
            Files.copy(tar, spill, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            node = Draft.Node.file(a, e.getSize(), () -> Files.newInputStream(spill));
          } else {
            InputStream body = new FilterInputStream(tar) {
              @Override
              public void close() {
                // the archive stream goes on to the next entry
              }
            };
            node = Draft.Node.file(a, e.getSize(), () -> body);
          }
        } else {
          throw new IOException(archive + ": entry '" + Names.printable(e.getName()) + "' of a type ADD cannot unpack");
        }
        sink.put(name, node);
      }
    }
  }

  private static FileAttributes attributes(TarArchiveEntry e, CopyOptions options) {
    long uid = options.uid() != null ? options.uid() : e.getLongUserId();
    long gid = options.gid() != null ? options.gid() : options.uid() != null ? options.uid() : e.getLongGroupId();
    int mode = options.mode() != null ? options.mode() : e.getMode() & 07777;
    return new FileAttributes(mode, uid, gid, Instant.ofEpochMilli(e.getModTime().getTime()), null);
  }

  private static InputStream decompressed(BufferedInputStream in) throws IOException {
    in.mark(6);
    byte[] magic = in.readNBytes(6);
    in.reset();
    if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
      return new GZIPInputStream(in, 1 << 16);
    }
    if (magic.length >= 3 && magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h') {
      return new BZip2CompressorInputStream(in, true);
    }
    if (magic.length >= 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5 && (magic[2] & 0xff) == 0x2f
        && (magic[3] & 0xff) == 0xfd) {
      return new com.github.luben.zstd.ZstdInputStreamNoFinalizer(in);
    }
    if (magic.length >= 6 && (magic[0] & 0xff) == 0xfd && magic[1] == '7' && magic[2] == 'z' && magic[3] == 'X') {
      throw new IOException("xz archives are not unpacked by ADD here; use RUN tar -xJf");
    }
    return in;
  }
}
