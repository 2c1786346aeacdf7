package dev.strata.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Predicate;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Unpacks the regular files of an image archive (oci-archive, docker-archive) into a private
 * staging directory. Only plain relative names are accepted, links and devices are ignored, so
 * an archive cannot write outside the staging directory.
 */
final class ArchiveExtractor {
  private ArchiveExtractor() {}

  /** Extracts the regular files of {@code archive} whose names {@code wanted} accepts into {@code dest}. */
  static void extract(Path archive, Path dest, Predicate<String> wanted) throws IOException {
    try (InputStream raw = Files.newInputStream(archive);
        TarArchiveInputStream tar = new TarArchiveInputStream(new java.io.BufferedInputStream(raw, 1 << 16))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        if (!e.isFile() || e.isLink()) {
          continue;
        }
        String name = safeName(e.getName());
        if (name == null || !wanted.test(name)) {
          continue;
        }
        Path target = dest.resolve(name).normalize();
        if (!target.startsWith(dest)) {
          continue;
        }
        Files.createDirectories(target.getParent());
        Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IllegalArgumentException e) {
      throw new IOException(archive + " is not a valid tar archive: " + e.getMessage(), e);
    }
  }

  /** Returns the name without ./ prefixes, or null if it is absolute or climbs with '..'. */
  static String safeName(String name) {
    String n = name;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    if (n.isEmpty() || n.startsWith("/") || n.indexOf('\0') >= 0) {
      return null;
    }
    for (String part : n.split("/")) {
      if (part.equals("..")) {
        return null;
      }
    }
    return n;
  }
}
