package dev.strata.cli.sandbox;

import dev.strata.fuse.MountRegistry;
import dev.strata.fuse.Mounts;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The directory one {@code strata run} works in: the runtime's bundle and the mount point of
 * the container's root, under strata's runtime directory ({@code /run/strata/run} as root).
 * Not under the store: the container's root, a host id the store's owner is not, must walk to
 * its root, so every directory on the way lets others search it, which a store in a private
 * home need not. The directory itself lets in only the group of the container's root, since
 * the mount below it lets every host user in ({@code allow_other}: the container's ids are
 * not its owner's). Its name holds the process id, so that the next run removes what a killed
 * one left (its dead mount unmounted first).
 */
public final class RunDirectory implements AutoCloseable {
  private static final Pattern NAME = Pattern.compile("run-(\\d+)-.*");

  private final Path dir;

  private RunDirectory(Path dir) {
    this.dir = dir;
  }

  /** Makes a new one for a container in {@code ids}, after clearing those of processes that are gone. */
  public static RunDirectory create(UserNamespace ids) throws IOException {
    Path runs = Files.createDirectories(MountRegistry.runtimeDirectory().resolve("run"));
    for (Path d : List.of(runs.getParent(), runs)) {
      Set<PosixFilePermission> perms = new HashSet<>(Files.getPosixFilePermissions(d));
      if (perms.addAll(List.of(PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_EXECUTE))) {
        Files.setPosixFilePermissions(d, perms);
      }
    }
    sweep(runs);
    Path dir = Files.createTempDirectory(runs, "run-" + ProcessHandle.current().pid() + "-");
    long owner = ((Number) Files.getAttribute(dir, "unix:uid")).longValue();
    long rootGroup = ids.gids().shown(0);
    if (owner == 0 && !ids.isHost()) {
      Files.setAttribute(dir, "unix:gid", (int) rootGroup);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x---"));
    }
    return new RunDirectory(dir);
  }

  private static void sweep(Path runs) {
    try (DirectoryStream<Path> all = Files.newDirectoryStream(runs)) {
      for (Path d : all) {
        Matcher m = NAME.matcher(d.getFileName().toString());
        if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).filter(ProcessHandle::isAlive).isEmpty()) {
          new RunDirectory(d).close();
        }
      }
    } catch (IOException | RuntimeException e) {
      // another run sweeping at the same time, or a mount that will not go: left for later
    }
  }

  /** The directory. */
  public Path path() {
    return dir;
  }

  /** The mount point of the container's root. */
  public Path rootfs() {
    return dir.resolve("rootfs");
  }

  /** Removes the directory, unmounting a root left mounted. */
  @Override
  public void close() throws IOException {
    if (Files.isDirectory(rootfs()) && Mounts.isFuseMounted(rootfs())) {
      Mounts.unmount(rootfs(), true);
    }
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
