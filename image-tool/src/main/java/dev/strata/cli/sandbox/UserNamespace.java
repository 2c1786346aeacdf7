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
 * container runs; the kernel drops it when the holder dies, so a crash frees its block.
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

  /** The namespace of a container started by this process: see the class comment. */
  public static UserNamespace forThisProcess() throws IOException {
    return forThisProcess(OptionalLong.empty());
  }

  /**
   * As {@link #forThisProcess()}, as root the block that holds host id {@code near} first if
   * no running container holds it: a container that mounts a volume gets the ids its files
   * were made with when it can, so that its root owns them as the last container's root did.
   */
  public static UserNamespace forThisProcess(OptionalLong near) throws IOException {
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
      return allocate(subuid, subgid, near);
    }
    String name = System.getProperty("user.name");
    List<SubordinateIds.Entry> myUids = SubordinateIds.of(subuid, name, uid);
    List<SubordinateIds.Entry> myGids = SubordinateIds.of(subgid, name, uid);
    if (myUids.isEmpty() || myGids.isEmpty() || !onPath("newuidmap") || !onPath("newgidmap")) {
      return new UserNamespace(IdMap.of(0, uid, 1), IdMap.of(0, gid, 1), null);
    }
    return new UserNamespace(SubordinateIds.rootless(uid, myUids), SubordinateIds.rootless(gid, myGids), null);
  }

  private static UserNamespace allocate(List<SubordinateIds.Entry> subuid, List<SubordinateIds.Entry> subgid,
      OptionalLong near) throws IOException {
    List<long[]> blocks = new ArrayList<>(); // {uid start, gid start}
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
    if (near.isPresent()) {
      long id = near.getAsLong();
      blocks.sort(java.util.Comparator.comparing(b -> !(b[0] <= id && id < b[0] + BLOCK)));
    }
    Files.createDirectories(LOCKS);
    for (long[] b : blocks) {
      FileChannel ch = FileChannel.open(LOCKS.resolve(b[0] + ".lock"), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE);
      FileLock held = null;
      try {
        held = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        held = null; // this process holds it already, for another container
      }
      if (held != null) {
        return new UserNamespace(IdMap.of(0, b[0], BLOCK), IdMap.of(0, b[1], BLOCK), ch);
      }
      ch.close();
    }
    throw new IOException("no free block of " + BLOCK + " ids for a user namespace: all " + blocks.size()
        + " are held by running containers (locks in " + LOCKS + ")");
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
