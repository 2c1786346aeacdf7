package dev.strata.fuse;

import dev.strata.BuildVersion;
import dev.strata.fuse.kernel.KernelMount;
import dev.strata.union.HostDirLayer;
import dev.strata.union.LowerLayer;
import dev.strata.union.UnionFs;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code strata-overlay}: a union of host directories in kernel overlay format, mounted with
 * fuse-overlayfs's command line, so that a container engine's {@code mount_program} (or
 * {@code mount -t fuse.strata-overlay}) can use Strata in its place.
 *
 * <pre>
 * strata-overlay [-f] [-d] -o lowerdir=A:B[,upperdir=U,workdir=W][,options] MOUNTPOINT
 * strata-overlay SOURCE MOUNTPOINT -o options       (as mount.fuse runs it)
 * strata-overlay --version | --help                 (on stdout, exit 0, as fuse-overlayfs)
 * </pre>
 *
 * Without {@code -f} it returns once the mount is live, served on by another process: the
 * user's shared {@link MountServer} when bin/strata-overlay asks it, else a server of its own
 * that ends when the mount is unmounted ({@code fusermount -u}, {@code umount}).
 */
public final class OverlayMain {
  static final String USAGE = "usage: strata-overlay [-f] [-d] -o lowerdir=A:B[,upperdir=U,workdir=W][,options] MOUNTPOINT\n"
      + "       strata-overlay SOURCE MOUNTPOINT -o options";
  /** What --help prints: the usage, then the options, as fuse-overlayfs lists libfuse's. */
  static final String HELP = "usage: strata-overlay [options] <mountpoint>\n"
      + "       strata-overlay SOURCE MOUNTPOINT -o options   (as mount.fuse runs it)\n\n"
      + "    -h   --help            print help\n"
      + "    -V   --version         print version\n"
      + "    -d   -o debug          enable debug output (implies -f)\n"
      + "    -f                     foreground operation\n"
      + "    -o lowerdir=A:B        the lower layers, top first ('\\:' for a colon in a name)\n"
      + "    -o upperdir=U,workdir=W  where changes go; without them the mount is read-only\n"
      + "    -o uidmapping=STORED:SHOWN:LENGTH[:...], gidmapping=...  ids as the layers hold them : as the mount shows them\n"
      + "    -o squash_to_root, squash_to_uid=UID, squash_to_gid=GID  every file shown as owned by that id\n"
      + "    -o static_nlink        directories show one link\n"
      + "    -o noacl               POSIX ACLs grant nothing\n"
      + "    -o noxattrs=1          no extended attributes\n"
      + "    -o volatile, fsync=0   fsync succeeds at once, writing nothing\n"
      + "    -o redirect_dir=off    renaming a lower directory answers EXDEV\n"
      + "    -o allow_other, nosuid, nodev, noexec, ro, ...  FUSE mount options";

  private OverlayMain() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    return run(args, Path.of("").toAbsolutePath(), out, err, null);
  }

  /**
   * What fuse-overlayfs prints for --version, on stdout: its name and version first, then the
   * FUSE protocol, which here is the transport's own (/dev/fuse spoken directly) or libfuse 2's.
   * podman info shows it as the mount program's version.
   */
  static String version() {
    String transport = FuseMount.Transport.choose() == FuseMount.Transport.KERNEL
        ? "using FUSE kernel interface version " + KernelMount.protocolVersion()
        : "using libfuse 2 (jnr-fuse) for the FUSE kernel interface";
    return "strata-overlay: version " + BuildVersion.text() + "\n" + transport;
  }

  /**
   * Runs one command line. Relative directories are {@code cwd}'s. Without {@code -f} the mount
   * is served by {@code server} if given (a shared {@link MountServer} asked by bin/strata-overlay),
   * else by a process started for it ({@link Detached}); either way this returns once it is live.
   */
  static int run(String[] args, Path cwd, PrintStream out, PrintStream err, MountServer server) {
    List<String> opts = new ArrayList<>();
    List<String> positional = new ArrayList<>();
    boolean foreground = false;
    boolean debug = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "-o" -> {
          if (++i == args.length) {
            err.println("strata-overlay: -o needs options\n" + USAGE);
            return 2;
          }
          opts.add(args[i]);
        }
        case "-f" -> foreground = true;
        case "-d" -> {
          debug = true;
          foreground = true;
        }
        case "-h", "--help" -> {
          out.println(HELP);
          return 0;
        }
        case "-V", "--version" -> {
          out.println(version());
          return 0;
        }
        default -> {
          if (a.startsWith("-o") && a.length() > 2) {
            opts.add(a.substring(2));
          } else if (a.startsWith("-")) {
            err.println("strata-overlay: unknown flag " + a + "\n" + USAGE);
            return 2;
          } else {
            positional.add(a);
          }
        }
      }
    }
    if (positional.isEmpty() || positional.size() > 2) {
      err.println("strata-overlay: " + (positional.isEmpty() ? "no mount point" : "too many arguments") + "\n" + USAGE);
      return 2;
    }
    Path mountPoint = cwd.resolve(positional.get(positional.size() - 1)).normalize();
    String source = positional.size() == 2 ? positional.get(0) : "strata-overlay";
    OverlayOptions o;
    try {
      o = OverlayOptions.parse(opts).resolvedAgainst(cwd);
      check(o, mountPoint);
    } catch (IllegalArgumentException e) {
      err.println("strata-overlay: " + e.getMessage());
      return 2;
    }
    // Said once, to the caller: not again by the server a detached mount starts.
    if (!foreground && !o.ignored().isEmpty()) {
      err.println("strata-overlay: warning: accepted but not implemented: " + String.join(", ", o.ignored()));
    }
    try {
      if (!foreground && server != null) {
        server.serve(ServedMount.start(union(o), mountPoint, mountOptions(o, source, o.debug())));
        return 0;
      }
      if (!foreground) {
        List<String> child = new ArrayList<>(List.of(args));
        child.add(0, "-f");
        Detached.start(OverlayMain.class.getName(), child, logOf(o, mountPoint), mountPoint);
        return 0;
      }
      FuseMount.serve(union(o), mountPoint, mountOptions(o, source, debug || o.debug()));
      dropIfEmpty(logOf(o, mountPoint));
      return 0;
    } catch (IOException | RuntimeException e) {
      err.println("strata-overlay: " + e.getMessage());
      return 1;
    } catch (InterruptedException e) {
      return 1;
    }
  }

  private static void check(OverlayOptions o, Path mountPoint) {
    List<Path> dirs = new ArrayList<>(o.lowerDirs());
    if (o.upperDir() != null) {
      dirs.add(o.upperDir());
      dirs.add(o.workDir());
    }
    dirs.add(mountPoint);
    for (Path d : dirs) {
      if (!Files.isDirectory(d)) {
        throw new IllegalArgumentException(d + " is not a directory");
      }
    }
  }

  /**
   * A detached server's log is kept only if something was written to it: an empty file per
   * mount would pile up in the temp dir (read-only mounts have no work directory).
   */
  private static void dropIfEmpty(Path log) {
    try {
      if (Files.size(log) == 0) {
        Files.delete(log);
      }
    } catch (IOException e) {
      // no log (a foreground run), or one that is not ours to remove: leave it
    }
  }

  /** The server's log: in the work directory, which is the mount's own, or else the temp dir. */
  private static Path logOf(OverlayOptions o, Path mountPoint) {
    if (o.workDir() != null) {
      return o.workDir().resolve("strata-overlay.log");
    }
    return Path.of(System.getProperty("java.io.tmpdir"),
        "strata-overlay-" + Integer.toHexString(mountPoint.toString().hashCode()) + ".log");
  }

  private static UnionFs union(OverlayOptions o) throws IOException {
    List<LowerLayer> lowers = new ArrayList<>();
    for (Path d : o.lowerDirs()) {
      lowers.add(HostDirLayer.open(d));
    }
    return UnionFs.open(lowers, o.upperDir(), o.workDir(), o.union());
  }

  private static MountOptions mountOptions(OverlayOptions o, String source, boolean debug) {
    List<String> fuse = o.fuseOptions().stream().filter(f -> !f.equals("ro") && !f.equals("rw")).toList();
    return MountOptions.defaults(source).withReadOnly(o.readOnly()).withMountOptions(fuse)
        .withDebug(debug).withAcl(o.acl()).withPassthrough(o.passthrough());
  }
}
