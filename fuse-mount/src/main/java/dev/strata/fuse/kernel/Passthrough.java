package dev.strata.fuse.kernel;

import static dev.strata.fuse.kernel.Protocol.FOPEN_KEEP_CACHE;
import static dev.strata.fuse.kernel.Protocol.FOPEN_NOFLUSH;
import static dev.strata.fuse.kernel.Protocol.FOPEN_PASSTHROUGH;

import dev.strata.host.Capabilities;
import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.HostFile;
import dev.strata.host.Stat;
import dev.strata.union.UnionFs;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * FUSE passthrough (Linux 6.9 and later): an open file whose bytes are all in one host file (an
 * upper file; a lower file stored whole, on a union nothing can copy up) is answered with that
 * file as its backing file, and the kernel then reads, writes and maps it there: no READ or
 * WRITE request, no FLUSH at close. Which opens qualify is the engine's to say
 * ({@link UnionFs#hostFile}); this class keeps the kernel's rules (fs/fuse/iomode.c,
 * passthrough.c and backing.c):
 *
 * <ul>
 *   <li>A kernel inode is in one io mode at a time: cached (opens without FOPEN_PASSTHROUGH,
 *       through the page cache) or passthrough. An open replied in the other mode fails with
 *       EIO. So every open of a node that has open files here gets their mode: a file opened
 *       from the lower before another descriptor copied it up keeps its node cached (and is
 *       served by the engine, which reads the copy from then on) until the last such file is
 *       released.
 *   <li>All passthrough opens of an inode share one backing file (another is EBUSY, so EIO):
 *       one registration per node, shared by its opens, closed after the last one's RELEASE.
 *       The kernel drops a file's io mode before it sends RELEASE, and takes it after the
 *       reply to OPEN was written, so the counts here are never below the kernel's.
 *   <li>The backing id must still be registered when the opening task reads the reply, which
 *       is after write(2) of it returned here: it is not closed right after the reply.
 *   <li>FOPEN_KEEP_CACHE may not go with FOPEN_PASSTHROUGH (EIO), and writes through the
 *       backing file leave the inode's page cache as it was: a later cached open of a node
 *       gets no KEEP_CACHE on a connection that has had passthrough opens, so that the kernel
 *       drops what it cached before.
 *   <li>Only a process with CAP_SYS_ADMIN in the host's user namespace may register backing
 *       files (EPERM): only such a process asks for passthrough at INIT, so that any other's
 *       mount is as it was. A refusal of the kernel (EPERM, a kernel without the ioctl) turns
 *       passthrough off for the connection; a file the kernel will not take (ELOOP: on a
 *       filesystem stacked {@link #MAX_STACK_DEPTH} deep or deeper) or a passing shortage is
 *       served the old way alone.
 * </ul>
 *
 * <p>Writeback cache, which the kernel will not combine with passthrough, is not asked for by
 * this transport; FOPEN_DIRECT_IO is never replied.
 */
final class Passthrough {
  private static final System.Logger LOG = System.getLogger(Passthrough.class.getName());

  /**
   * max_stack_depth: backing files on a filesystem that is not itself stacked (an overlay, or
   * another passthrough FUSE mount, refuses them: ELOOP). The mount's own depth becomes this,
   * so it can still be a layer of a kernel overlay (whose limit is 2).
   */
  static final int MAX_STACK_DEPTH = 1;

  /** How an open is answered: its fuse_open_out flags and backing id. */
  record Mode(int flags, int backingId) {
    /**
     * Served by the engine through the page cache, which stays: every change to a file goes
     * through this mount and a file is one kernel inode whatever its name, so the page cache
     * of the last open is still right.
     */
    static final Mode CACHED = new Mode(FOPEN_KEEP_CACHE, 0);
    /** Served by the engine, the kernel dropping what it cached of the file before. */
    static final Mode CACHED_FRESH = new Mode(0, 0);
  }

  /** The open files of one kernel inode, and its backing file while some are passthrough. */
  private static final class Opens {
    int cached;
    int direct;
    int backingId;
    long dev;
    long ino;

    /** Whether {@code file} is this node's backing file (the same host inode). */
    boolean backs(HostFile file) {
      try {
        Stat s = file.stat();
        return s.dev() == dev && s.ino() == ino;
      } catch (IOException e) {
        return false;
      }
    }
  }

  /** An open counted here: its node, and whether it was answered with the backing file. */
  private record Counted(long nodeid, boolean direct) {}

  private final UnionFs fs;
  /** Null: no connection to register with (the warm-up's dispatcher). */
  private final FuseDevice device;
  private final boolean wanted;
  private volatile boolean agreed;
  private volatile boolean refused;
  private volatile boolean used;
  private final Map<Long, Opens> byNode = new HashMap<>();
  private final Map<Long, Counted> counted = new HashMap<>();
  private final AtomicLong directOpens = new AtomicLong();

  /**
   * @param wanted the mount's option; passthrough is asked for only if this process may
   *     register backing files too ({@link #permitted})
   */
  Passthrough(UnionFs fs, FuseDevice device, boolean wanted) {
    this.fs = fs;
    this.device = device;
    this.wanted = wanted && device != null && permitted();
  }

  /** Whether this process may register backing files: CAP_SYS_ADMIN in the host's user namespace. */
  static boolean permitted() {
    Capabilities c = Capabilities.ofProcess();
    return c.initialUserNamespace() && c.has(Capabilities.CAP_SYS_ADMIN);
  }

  /** Whether INIT asks for passthrough, the kernel having offered it. */
  boolean wanted() {
    return wanted;
  }

  /** INIT's reply asked for passthrough: opens may use it from now on. */
  void agreed() {
    agreed = true;
  }

  /** Whether opens are answered with backing files (agreed at INIT, not refused since). */
  boolean on() {
    return agreed && !refused;
  }

  /** How many opens were answered with a backing file. */
  long directOpens() {
    return directOpens.get();
  }

  /**
   * The answer to an open of kernel node {@code nodeid} that the engine opened as
   * {@code handle}, counted until {@link #released}. Never fails: a choice the kernel will
   * refuse fails the open there, and the kernel then sends RELEASE.
   */
  Mode opened(long nodeid, long handle) {
    if (!agreed) {
      return Mode.CACHED;
    }
    HostFile file = hostFile(handle);
    synchronized (this) {
      Opens o = byNode.computeIfAbsent(nodeid, k -> new Opens());
      if (o.direct > 0) {
        // The kernel takes only this backing file for the inode now; the engine's file must be it.
        if (file != null && o.backs(file)) {
          return direct(handle, nodeid, o);
        }
        LOG.log(System.Logger.Level.ERROR, "node " + nodeid + " is open with a backing file that is not the"
            + " file of this open (" + file + "): the kernel will refuse the open");
        return cached(handle, nodeid, o, Mode.CACHED_FRESH);
      }
      if (o.cached == 0 && file != null && !refused && register(o, file)) {
        return direct(handle, nodeid, o);
      }
      // A file the engine serves itself (file == null) never had a backing file; any other
      // may have, and its pages in the kernel be older than the host file's.
      return cached(handle, nodeid, o, used && file != null ? Mode.CACHED_FRESH : Mode.CACHED);
    }
  }

  private Mode direct(long handle, long nodeid, Opens o) {
    o.direct++;
    counted.put(handle, new Counted(nodeid, true));
    used = true;
    directOpens.incrementAndGet();
    return new Mode(FOPEN_PASSTHROUGH | FOPEN_NOFLUSH, o.backingId);
  }

  private Mode cached(long handle, long nodeid, Opens o, Mode mode) {
    o.cached++;
    counted.put(handle, new Counted(nodeid, false));
    return mode;
  }

  /** The engine's host file of the open, or null if there is none or it cannot be said. */
  private HostFile hostFile(long handle) {
    try {
      return fs.hostFile(handle);
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "no host file for handle " + handle + ": " + e);
      return null;
    }
  }

  /** Registers {@code file} as {@code o}'s backing file; false where the kernel would not. */
  private boolean register(Opens o, HostFile file) {
    try {
      Stat s = file.stat();
      o.backingId = device.openBacking(file);
      o.dev = s.dev();
      o.ino = s.ino();
      return true;
    } catch (ErrnoException e) {
      Errno errno = e.errno();
      // EPERM and ENOTTY are the connection's (no privilege, no such ioctl); ELOOP, EOPNOTSUPP
      // (a filesystem without the calls passthrough needs) and shortages are this file's.
      if (errno == Errno.EPERM || errno == Errno.ENOTTY) {
        refused = true;
        LOG.log(System.Logger.Level.DEBUG, "FUSE passthrough refused by the kernel, off for this mount: " + e.getMessage());
      } else {
        LOG.log(System.Logger.Level.DEBUG, "no FUSE passthrough for " + file + ": " + e.getMessage());
      }
      return false;
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "no FUSE passthrough for " + file + ": " + e);
      return false;
    }
  }

  /** The kernel released the open answered for {@code handle}: its node's count goes down. */
  void released(long handle) {
    int close = 0;
    synchronized (this) {
      Counted c = counted.remove(handle);
      Opens o = c == null ? null : byNode.get(c.nodeid());
      if (o == null) {
        return;
      }
      if (!c.direct()) {
        o.cached--;
      } else if (--o.direct == 0) {
        close = o.backingId;
      }
      if (o.direct == 0 && o.cached == 0) {
        byNode.remove(c.nodeid());
      }
    }
    if (close != 0) {
      try {
        device.closeBacking(close);
      } catch (ErrnoException e) {
        LOG.log(System.Logger.Level.DEBUG, "FUSE backing id " + close + " not closed: " + e.getMessage());
      }
    }
  }
}
