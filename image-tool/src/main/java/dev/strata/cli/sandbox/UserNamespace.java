package dev.strata.cli.sandbox;

import dev.strata.fuse.MountRegistry;
import dev.strata.union.IdMap;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The ids of a container's user namespace: its uid_map and gid_map, which are also the maps
 * its union mount shows the image's owners through (stored id = id in the container, shown id =
 * id on the host).
 *
 * <p>As root, a block of 65536 ids no other running container holds, as podman's
 * {@code --userns=auto} gives one: from the ranges /etc/subuid and /etc/subgid give the user
 * {@code strata} if they give it any, else from systemd's range for containers (524288 to
 * 1879048191, its UIDS-GIDS.md), skipping every range /etc/subuid or /etc/subgid gives anyone.
 * A block is held by an fcntl lock on {@code /run/strata/userns/START.lock} for as long as the
 * container runs; the kernel drops it when the holder dies, so a crash frees its block. A
 * container that mounts no volume holds its block alone (a write lock). Containers that mount
 * volumes hold theirs shared (read locks), so that the next one of a volume joins the block its
 * files are owned by while another container still runs in it: two containers writing one
 * volume at once must be the same owners, as they are the same user in Docker without user
 * namespaces. A fresh block is taken only when no one holds it.
 *
 * <p>Without root, the caller's own id is the container's root and its subordinate ranges
 * ids 1 and on, when /etc/subuid and /etc/subgid give it some and newuidmap and newgidmap are
 * installed (runc calls them); else the caller's id alone.
 */
public final class UserNamespace implements AutoCloseable {
  /** The ids of a container as root: uid and gid 0 to 65535, as an image's files use. */
  public static final long BLOCK = 65536;
  static final long POOL_START = 524_288;
  static final long POOL_END = 1_879_048_192L;
  private static final Path LOCKS = MountRegistry.runtimeDirectory().resolve("userns");

  private final IdMap uids;
  private final IdMap gids;
  private final FileChannel lock;

  private UserNamespace(IdMap uids, IdMap gids, FileChannel lock) {
    this.uids = uids;
    this.gids = gids;
    this.lock = lock;
  }

  /** No user namespace: the host's ids, as a privileged container as root has. */
  public static UserNamespace host() {
    return new UserNamespace(IdMap.IDENTITY, IdMap.IDENTITY, null);
  }

  /** The namespace of a container started by this process, mounting no volume: see the class comment. */
  public static UserNamespace forThisProcess() throws IOException {
    return forThisProcess(false, OptionalLong.empty());
  }

  /**
   * As {@link #forThisProcess()}, for a container that mounts volumes: as root, a block it may
   * share with other such containers, the one that holds host id {@code near} if one does and
   * no container without volumes holds it. A container of a volume so gets the ids its files
   * were made with, whether the last container of the volume has ended or still runs, so that
   * its root owns them as that container's root does.
   */
  public static UserNamespace sharingVolumes(OptionalLong near) throws IOException {
    return forThisProcess(true, near);
  }

  private static UserNamespace forThisProcess(boolean shared, OptionalLong near) throws IOException {
    long uid = ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
    long gid = ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:gid")).longValue();
    List<SubordinateIds.Entry> subuid = SubordinateIds.read(Path.of("/etc/subuid"));
    List<SubordinateIds.Entry> subgid = SubordinateIds.read(Path.of("/etc/subgid"));
    if (!dev.strata.host.Capabilities.ofProcess().initialUserNamespace()) {
      // Root of a user namespace (OwnUserNamespace's, podman unshare's): the container runs in
      // it, with its ids.
      return host();
    }
    if (uid == 0) {
      return allocate(blocks(subuid, subgid), shared, near);
    }
    String name = System.getProperty("user.name");
    List<SubordinateIds.Entry> myUids = SubordinateIds.of(subuid, name, uid);
    List<SubordinateIds.Entry> myGids = SubordinateIds.of(subgid, name, uid);
    if (myUids.isEmpty() || myGids.isEmpty() || !onPath("newuidmap") || !onPath("newgidmap")) {
      return new UserNamespace(IdMap.of(0, uid, 1), IdMap.of(0, gid, 1), null);
    }
    return new UserNamespace(SubordinateIds.rootless(uid, myUids), SubordinateIds.rootless(gid, myGids), null);
  }

  /** The blocks root's containers may have, each {uid start, gid start}: see the class comment. */
  private static List<long[]> blocks(List<SubordinateIds.Entry> subuid, List<SubordinateIds.Entry> subgid)
      throws IOException {
    List<long[]> blocks = new ArrayList<>();
    List<SubordinateIds.Entry> ownU = SubordinateIds.of(subuid, "strata", -1);
    List<SubordinateIds.Entry> ownG = SubordinateIds.of(subgid, "strata", -1);
    if (!ownU.isEmpty() || !ownG.isEmpty()) {
      List<Long> us = blockStarts(ownU);
      List<Long> gs = blockStarts(ownG);
      for (int i = 0; i < Math.min(us.size(), gs.size()); i++) {
        blocks.add(new long[] {us.get(i), gs.get(i)});
      }
      if (blocks.isEmpty()) {
        throw new IOException("/etc/subuid and /etc/subgid must each give the user strata at least " + BLOCK
            + " ids in one range (they give " + ownU + " and " + ownG + ")");
      }
    } else {
      for (long s = POOL_START; s + BLOCK <= POOL_END; s += BLOCK) {
        if (!SubordinateIds.overlaps(subuid, s, BLOCK) && !SubordinateIds.overlaps(subgid, s, BLOCK)) {
          blocks.add(new long[] {s, s});
        }
      }
    }
    return blocks;
  }

  /**
   * Holds a block of {@code blocks}: {@code shared}, first the one holding {@code near} unless a
   * container without volumes holds it; then the first no one holds.
   */
  private static UserNamespace allocate(List<long[]> blocks, boolean shared, OptionalLong near) throws IOException {
    Files.createDirectories(LOCKS);
    if (shared && near.isPresent()) {
      for (long[] b : blocks) {
        if (b[0] <= near.getAsLong() && near.getAsLong() < b[0] + BLOCK) {
          UserNamespace joined = hold(b, true, true);
          if (joined != null) {
            return joined;
          }
        }
      }
    }
    for (long[] b : blocks) {
      UserNamespace fresh = hold(b, shared, false);
      if (fresh != null) {
        return fresh;
      }
    }
    throw new IOException("no free block of " + BLOCK + " ids for a user namespace: all " + blocks.size()
        + " are held by running containers (locks in " + LOCKS + ")");
  }

  /**
   * Block {@code b} held {@code shared} or alone, or null if it cannot be: held alone by anyone,
   * or held at all unless {@code join}. A fresh shared hold first makes sure no one holds the
   * block by taking it alone, then takes it shared; someone joining in between is one more
   * container of a volume, which may share it.
   */
  private static UserNamespace hold(long[] b, boolean shared, boolean join) throws IOException {
    FileChannel ch = FileChannel.open(LOCKS.resolve(b[0] + ".lock"), StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock held;
    try {
      if (!join) {
        held = ch.tryLock();
        if (held != null && shared) {
          held.release();
          held = ch.tryLock(0, Long.MAX_VALUE, true);
        }
      } else {
        held = ch.tryLock(0, Long.MAX_VALUE, true);
      }
    } catch (OverlappingFileLockException e) {
      held = null; // this process holds it already, for another container: one hold each per process
    }
    if (held == null) {
      ch.close();
      return null;
    }
    return new UserNamespace(IdMap.of(0, b[0], BLOCK), IdMap.of(0, b[1], BLOCK), ch);
  }

  private static List<Long> blockStarts(List<SubordinateIds.Entry> ranges) {
    List<Long> out = new ArrayList<>();
    for (SubordinateIds.Entry e : ranges) {
      for (long s = e.start(); s + BLOCK <= e.start() + e.count(); s += BLOCK) {
        out.add(s);
      }
    }
    return out;
  }

  static boolean onPath(String program) {
    String path = System.getenv("PATH");
    for (String d : (path == null ? "/usr/bin:/bin" : path).split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, program))) {
        return true;
      }
    }
    return false;
  }

  /** Whether this is the host's namespace (no user namespace of the container's own). */
  public boolean isHost() {
    return uids.isIdentity();
  }

  /** The uid_map: container ids stored, host ids shown. */
  public IdMap uids() {
    return uids;
  }

  /** The gid_map. */
  public IdMap gids() {
    return gids;
  }

  /** Lets go of the block of ids. */
  @Override
  public void close() throws IOException {
    if (lock != null) {
      lock.close();
    }
  }
}
