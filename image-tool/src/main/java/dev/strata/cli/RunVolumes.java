package dev.strata.cli;

import dev.strata.cli.sandbox.Bind;
import dev.strata.cli.sandbox.UserNamespace;
import dev.strata.host.Errno;
import dev.strata.host.ErrnoException;
import dev.strata.host.Names;
import dev.strata.image.json.ImageJson;
import dev.strata.layout.Containers;
import dev.strata.layout.Containers.Mount;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import dev.strata.union.FileType;
import dev.strata.union.IdMap;
import dev.strata.union.ImageUser;
import dev.strata.union.UnionFs;
import dev.strata.volume.Volumes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What {@code strata run} mounts beside the union, as {@code docker run} does: {@code -v}
 * volumes and host directories, the mounts of {@code --volumes-from} containers, and a new
 * anonymous volume for each of the image's {@code VOLUME}s that neither covers. A later source
 * of a destination gives way to an earlier one, in that order.
 */
final class RunVolumes {
  /** The mounts of a run, by destination, and the anonymous volumes it made. */
  record Plan(List<Mount> mounts, List<String> anonymous) {}

  private RunVolumes() {}

  /**
   * Parses {@code -v SRC:DEST[:ro|:rw]} (SRC an absolute host path, else a volume name) and
   * {@code -v DEST} (a new anonymous volume, source empty). A bind's host path must exist.
   */
  static Mount parse(String spec) {
    String[] parts = spec.split(":", -1);
    if (parts.length == 1) {
      return new Mount(Mount.VOLUME, "", destination(spec, parts[0]), false);
    }
    if (parts.length > 3 || parts[0].isEmpty()) {
      throw new IllegalArgumentException("-v " + spec + ": expected SRC:DEST[:ro|:rw], SRC a volume or a host path");
    }
    boolean readOnly = false;
    if (parts.length == 3) {
      if (!parts[2].equals("ro") && !parts[2].equals("rw")) {
        throw new IllegalArgumentException("-v " + spec + ": the mode '" + parts[2] + "' is none of ro and rw");
      }
      readOnly = parts[2].equals("ro");
    }
    String dest = destination(spec, parts[1]);
    if (parts[0].startsWith("/")) {
      Path host = Path.of(parts[0]).normalize();
      if (!Files.exists(host)) {
        throw new IllegalArgumentException("-v " + spec + ": the host has no " + host + " to mount");
      }
      return new Mount(Mount.BIND, host.toString(), dest, readOnly);
    }
    try {
      Volumes.checkName(parts[0]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("-v " + spec + ": " + e.getMessage() + " (a host path starts with /)");
    }
    return new Mount(Mount.VOLUME, parts[0], dest, readOnly);
  }

  private static String destination(String spec, String dest) {
    if (!dest.startsWith("/") || Path.of(dest).normalize().toString().equals("/")) {
      throw new IllegalArgumentException("-v " + spec + ": the container's path '" + dest
          + "' must be absolute, and not / itself");
    }
    return Path.of(dest).normalize().toString();
  }

  /**
   * The mounts recorded for each of {@code from} ({@code C} or {@code C:ro}, all read-only),
   * in order; a container that does not exist is a usage error.
   */
  static List<Mount> from(Store store, List<String> from) throws IOException {
    Containers containers = new Containers(store);
    List<Mount> out = new ArrayList<>();
    for (String f : from) {
      String[] parts = f.split(":", -1);
      if (parts.length > 2 || parts.length == 2 && !parts[1].equals("ro") && !parts[1].equals("rw")) {
        throw new IllegalArgumentException("--volumes-from " + f + ": expected C[:ro|:rw]");
      }
      Containers.Container c = containers.get(parts[0])
          .orElseThrow(() -> new IllegalArgumentException("--volumes-from: no container named '" + parts[0] + "'"));
      boolean allReadOnly = parts.length == 2 && parts[1].equals("ro");
      for (Mount m : containers.mounts(c)) {
        out.add(new Mount(m.type(), m.source(), m.destination(), m.readOnly() || allReadOnly));
      }
    }
    return out;
  }

  /**
   * The mounts of a run: {@code specs} (parsed -v's), then {@code from} (those of {@code
   * --volumes-from}), then an anonymous volume for each of the image's VOLUMEs. Volumes named
   * but missing are made, as {@code docker run} makes them.
   */
  static Plan plan(Store store, List<Mount> specs, List<Mount> from, StoredImage image, List<Mount> earlier)
      throws IOException {
    Volumes volumes = new Volumes(store);
    Map<String, Mount> byDest = new LinkedHashMap<>();
    for (Mount m : specs) {
      if (byDest.putIfAbsent(m.destination(), m) != null) {
        throw new IllegalArgumentException("-v: two mounts on " + m.destination());
      }
    }
    for (Mount m : from) {
      byDest.putIfAbsent(m.destination(), m);
    }
    for (String dest : imageVolumes(image)) {
      byDest.putIfAbsent(dest, new Mount(Mount.VOLUME, "", dest, false));
    }
    List<Mount> mounts = new ArrayList<>();
    List<String> anonymous = new ArrayList<>();
    for (Mount m : byDest.values()) {
      Mount again = m.type().equals(Mount.VOLUME) && m.source().isEmpty() ? anonymousAt(volumes, earlier,
          m.destination()) : null;
      if (again != null) {
        anonymous.add(again.source()); // still this container's: --rm takes it too
        m = new Mount(Mount.VOLUME, again.source(), m.destination(), m.readOnly());
      } else if (m.type().equals(Mount.VOLUME) && m.source().isEmpty()) {
        // Docker's anonymous volumes: 64 hex digits, a label saying what they are.
        byte[] id = new byte[32];
        ThreadLocalRandom.current().nextBytes(id);
        String name = volumes.create(HexFormat.of().formatHex(id), Map.of(Volumes.ANONYMOUS, m.destination())).name();
        anonymous.add(name);
        m = new Mount(Mount.VOLUME, name, m.destination(), m.readOnly());
      } else if (m.type().equals(Mount.VOLUME) && volumes.get(m.source()).isEmpty()) {
        try {
          volumes.create(m.source(), Map.of());
        } catch (java.nio.file.FileAlreadyExistsException raced) {
          // another run made it first: the same volume
        }
      }
      mounts.add(m);
    }
    return new Plan(mounts, anonymous);
  }

  /**
   * The anonymous volume an earlier run of the same container had at {@code destination}, if it
   * is still there: a container run again finds its data again, as a restarted Docker one does.
   */
  private static Mount anonymousAt(Volumes volumes, List<Mount> earlier, String destination) throws IOException {
    for (Mount m : earlier) {
      if (m.type().equals(Mount.VOLUME) && m.destination().equals(destination)) {
        var v = volumes.get(m.source());
        if (v.isPresent() && v.get().labels().containsKey(Volumes.ANONYMOUS)) {
          return m;
        }
      }
    }
    return null;
  }

  /**
   * The user namespace of a run of {@code image} asked for {@code mounts}: one it may share
   * with the other containers of its volumes ({@link UserNamespace#sharingVolumes}) if it mounts
   * any, named or the image's anonymous ones, else one of its own.
   */
  static UserNamespace ids(Store store, String image, List<Mount> mounts) throws IOException {
    boolean volumes = mounts.stream().anyMatch(m -> m.type().equals(Mount.VOLUME));
    if (!volumes) {
      try (Store.Lock lock = store.shared()) {
        volumes = !imageVolumes(StoredImage.load(store, image)).isEmpty();
      }
    }
    return volumes ? UserNamespace.sharingVolumes(owner(store, mounts)) : UserNamespace.forThisProcess();
  }

  /**
   * The host uid that owns the data of the first existing volume of {@code mounts}: the ids a
   * run should have to own that volume's files as the last container that readied or wrote it
   * did.
   */
  private static OptionalLong owner(Store store, List<Mount> mounts) throws IOException {
    Volumes volumes = new Volumes(store);
    for (Mount m : mounts) {
      if (m.type().equals(Mount.VOLUME) && !m.source().isEmpty()) {
        Optional<dev.strata.volume.Volume> v = volumes.get(m.source());
        if (v.isPresent()) {
          return OptionalLong.of(((Number) Files.getAttribute(v.get().data(), "unix:uid")).longValue());
        }
      }
    }
    return OptionalLong.empty();
  }

  /** The image config's {@code Volumes}: the paths it keeps data in, normalized, in order. */
  private static List<String> imageVolumes(StoredImage image) throws IOException {
    List<String> out = new ArrayList<>();
    Iterator<String> paths = ImageJson.mapper().readTree(image.configBytes()).path("config").path("Volumes")
        .fieldNames();
    while (paths.hasNext()) {
      String p = paths.next();
      if (p.startsWith("/") && !Path.of(p).normalize().toString().equals("/")) {
        out.add(Path.of(p).normalize().toString());
      }
    }
    return out;
  }

  /** The host directories the sandbox mounts for {@code mounts}. */
  static List<Bind> binds(Store store, List<Mount> mounts) throws IOException {
    Volumes volumes = new Volumes(store);
    List<Bind> binds = new ArrayList<>();
    // A mount on /a before one on /a/b, whatever the order asked, as docker run sorts them: else
    // the first would cover the second.
    List<Mount> outerFirst = new ArrayList<>(mounts);
    outerFirst.sort(java.util.Comparator.comparingLong(m -> m.destination().chars().filter(c -> c == '/').count()));
    for (Mount m : outerFirst) {
      boolean host = m.type().equals(Mount.BIND);
      Path source = host ? Path.of(m.source()) : volumes.require(m.source()).data();
      binds.add(new Bind(source, m.destination(), m.readOnly(), !host));
    }
    return binds;
  }

  /**
   * Readies each new volume of {@code mounts} (see {@link Volumes#initialize}): filled with what
   * the union has at its destination, read through the union's mount at {@code rootfs}, only
   * where the union, walked without following a link, has a directory, so that an image's
   * symlink never leads the copy to the host's files; else given to {@code who}, as the
   * namespace's maps {@code uids} and {@code gids} show it on the host.
   */
  static void initialize(Store store, List<Mount> mounts, UnionFs fs, Path rootfs, ImageUser who, IdMap uids,
      IdMap gids) throws IOException {
    Volumes volumes = new Volumes(store);
    for (Mount m : mounts) {
      if (m.type().equals(Mount.VOLUME)) {
        Path source = directory(fs, m.destination()) ? rootfs.resolve(m.destination().substring(1)) : null;
        volumes.initialize(m.source(), source, uids.shown(who.uid()), gids.shown(who.gid()));
      }
    }
  }

  private static boolean directory(UnionFs fs, String path) throws IOException {
    List<Long> walked = new ArrayList<>();
    try {
      long node = UnionFs.ROOT;
      for (String name : path.substring(1).split("/")) {
        try {
          node = fs.lookup(node, Names.decode(name.getBytes(Names.jdkCharset())));
        } catch (ErrnoException e) {
          if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
            return false;
          }
          throw e;
        }
        walked.add(node);
        if (fs.getattr(node).type() != FileType.DIRECTORY) {
          return false;
        }
      }
      return true;
    } finally {
      for (long n : walked) {
        fs.forget(n, 1);
      }
    }
  }
}
