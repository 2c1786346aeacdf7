package dev.strata.fuse.conformance;

import dev.strata.fuse.Syscalls;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import jnr.ffi.Pointer;

/**
 * A directory read with readdir(3), names with their d_ino: what {@code ls -i}, {@code find} and
 * {@code getcwd} rely on being the st_ino that stat answers.
 */
final class DirEntries {
  // struct dirent64: d_ino (8 bytes), d_off (8), d_reclen (2), d_type (1), d_name.
  private static final int D_NAME = 19;

  private DirEntries() {}

  /** Every entry of {@code dir}, "." and ".." included, with its d_ino. */
  static Map<String, Long> inodes(Path dir) throws IOException {
    Syscalls.Calls libc = Syscalls.libc();
    Pointer stream = libc.opendir(Posix.c(dir));
    if (stream == null) {
      throw new IOException(dir + ": opendir: " + Posix.errnoName(Syscalls.errno()));
    }
    try {
      Map<String, Long> out = new TreeMap<>();
      for (Pointer e = libc.readdir64(stream); e != null; e = libc.readdir64(stream)) {
        out.put(e.getString(D_NAME), e.getLong(0));
      }
      return out;
    } finally {
      libc.closedir(stream);
    }
  }
}
