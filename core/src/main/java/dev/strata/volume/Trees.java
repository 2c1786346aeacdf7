package dev.strata.volume;

import dev.strata.host.HostDir;
import dev.strata.host.Stat;
import dev.strata.layer.Paths;
import java.io.IOException;
import java.nio.file.Path;

/** Removes a volume's directory tree, which holds whatever its containers wrote. */
final class Trees {
  private Trees() {}

  /**
   * Deletes {@code dir} and everything in it, never following a symlink. A directory without
   * write or search permission for its owner is given them first (a container may have made
   * one read-only). A file system mounted below is refused, never emptied through.
   */
  static void delete(Path dir) throws IOException {
    Path parent = dir.toAbsolutePath().getParent();
    try (HostDir top = HostDir.open(parent)) {
      String name = dev.strata.host.Names.fileName(dir.toAbsolutePath());
      Stat st = top.stat(name);
      if (st != null) {
        delete(top, name, st.dev());
      }
    }
  }

  /** Deletes everything in {@code dir}, which stays, empty. */
  static void deleteContents(Path dir) throws IOException {
    try (HostDir top = HostDir.open(dir)) {
      long device = top.stat("").dev();
      for (HostDir.Entry e : top.list("")) {
        delete(top, e.name(), device);
      }
    }
  }

  private static void delete(HostDir top, String rel, long device) throws IOException {
    Stat st = top.stat(rel);
    if (st == null) {
      return;
    }
    if (!st.isDirectory()) {
      top.unlink(rel);
      return;
    }
    if (st.dev() != device) {
      throw new IOException(top.describe(rel) + " is a mount point: unmount it, then remove the volume again");
    }
    if ((st.mode() & 0700) != 0700) {
      top.chmod(rel, st.mode() | 0700);
    }
    for (HostDir.Entry e : top.list(rel)) {
      delete(top, Paths.join(rel, e.name()), device);
    }
    top.rmdir(rel);
  }
}
