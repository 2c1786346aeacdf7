package dev.strata.fuse;

import dev.strata.host.Capabilities;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Which process serves which mount point, so that {@code strata umount} can wait for the
 * server to finish (and stop it if it hangs) rather than return while it still writes. One
 * small file per mount point under the runtime directory ({@code /run/strata/mounts} as root,
 * {@code $XDG_RUNTIME_DIR/strata/mounts} otherwise); a stale file names a dead process and is
 * harmless.
 */
public final class MountRegistry {
  private MountRegistry() {}

  static Path dir() {
    return runtimeDirectory().resolve("mounts");
  }

  /**
   * Strata's directory for what lives only while processes run: {@code STRATA_RUNTIME_DIR} if
   * set, {@code /run/strata} for the host's root, {@code $XDG_RUNTIME_DIR/strata} for anyone else (root of a user namespace
   * included: rootless podman runs its mount programs so, with its user's runtime directory),
   * else {@code strata-UID} in the temporary directory.
   */
  public static Path runtimeDirectory() {
    String chosen = System.getenv("STRATA_RUNTIME_DIR");
    if (chosen != null && !chosen.isEmpty()) {
      return Path.of(chosen);
    }
    Capabilities caps = Capabilities.ofProcess();
    if (caps.hostRoot()) {
      return Path.of("/run/strata");
    }
    String runtime = System.getenv("XDG_RUNTIME_DIR");
    if (runtime == null || runtime.isEmpty()) {
      return Path.of(System.getProperty("java.io.tmpdir"), "strata-" + Integer.toUnsignedString(caps.euid()));
    }
    return Path.of(runtime, "strata");
  }

  private static Path fileOf(Path mountPoint) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256")
          .digest(mountPoint.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
      return dir().resolve(HexFormat.of().formatHex(h, 0, 16));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Records this process as the server of {@code mountPoint}. */
  public static void register(Path mountPoint) throws IOException {
    Files.createDirectories(dir());
    // Whole or not at all: the process that started this server waits for the entry and reads it.
    Path f = fileOf(mountPoint);
    Path temp = Files.createTempFile(dir(), ".register-", "");
    Files.writeString(temp, ProcessHandle.current().pid() + "\n" + mountPoint.toAbsolutePath().normalize() + "\n");
    Files.move(temp, f, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  /** Forgets the server of {@code mountPoint} if it is this process. */
  public static void unregister(Path mountPoint) {
    try {
      if (server(mountPoint).map(p -> p.pid() == ProcessHandle.current().pid()).orElse(false)) {
        Files.deleteIfExists(fileOf(mountPoint));
      }
    } catch (IOException e) {
      // a stale entry names a dead process; nothing depends on removing it
    }
  }

  /** The mount points {@code pid} is recorded as serving. */
  public static List<Path> servedBy(long pid) throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir())) {
      return out;
    }
    try (Stream<Path> entries = Files.list(dir())) {
      for (Path f : (Iterable<Path>) entries::iterator) {
        try {
          String[] lines = Files.readString(f).split("\n");
          if (lines.length >= 2 && lines[0].trim().equals(Long.toString(pid))) {
            out.add(Path.of(lines[1]));
          }
        } catch (IOException e) {
          // gone meanwhile (unregistered), or a temporary file being written: not a mount of pid's
        }
      }
    }
    return out;
  }

  /** The live process serving {@code mountPoint}, if one is recorded. */
  public static Optional<ProcessHandle> server(Path mountPoint) throws IOException {
    Path f = fileOf(mountPoint);
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    String[] lines = Files.readString(f).split("\n");
    try {
      return ProcessHandle.of(Long.parseLong(lines[0].trim())).filter(ProcessHandle::isAlive);
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
