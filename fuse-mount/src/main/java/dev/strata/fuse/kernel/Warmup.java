package dev.strata.fuse.kernel;

import static dev.strata.fuse.kernel.Protocol.*;

import dev.strata.host.HostFile;
import dev.strata.host.Privileges;
import dev.strata.union.HostDirLayer;
import dev.strata.union.LowerLayer;
import dev.strata.union.UnionFs;
import dev.strata.union.UnionOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Walks a small scratch union through a private dispatcher the way the kernel walks a fresh
 * mount (LOOKUP, OPENDIR, READDIRPLUS, RELEASEDIR, GETATTR, READLINK, FORGET), then makes the
 * changes a container's first writes make (a copy-up, names made, renamed and removed).
 *
 * <p>Why: the first requests of a mount load several hundred classes that no start-up code
 * touches (lambda forms, the engine's caches, the host calls' bindings). bin/strata records its
 * class-data archive with this walk, so that a server takes all of them from the archive instead
 * of parsing and verifying them while a container waits. The scratch tree lives in a temporary
 * directory of its own and is deleted afterwards; a failure here costs only speed, so it is
 * logged and ignored.
 */
final class Warmup {
  private static final System.Logger LOG = System.getLogger(Warmup.class.getName());
  /** The scratch tree's name: this prefix, the process id, a dash and a random number. */
  static final String PREFIX = "strata-warmup-";
  private static final Pattern LEFT = Pattern.compile(Pattern.quote(PREFIX) + "([0-9]{1,10})-[0-9]+");
  static final int DIRS = 12;
  static final int FILES = 16;
  static final int ROUNDS = 2;
  private static final int READ_SIZE = 64 << 10;

  private final Dispatcher dispatcher;
  private final ByteBuffer in;
  private final Request rq;
  private final Reply rp;
  private final ByteBuffer out;
  private long unique;
  private int listed;

  private Warmup(Dispatcher dispatcher, NativeBuffer in, NativeBuffer out) {
    this.dispatcher = dispatcher;
    this.in = in.buffer;
    this.rq = new Request(in);
    this.rp = new Reply(out);
    this.out = out.buffer;
  }

  /** Walks the scratch tree {@link #ROUNDS} times; returns the entries the walks were told of, -1 on failure. */
  static int run(Privileges privileges, KernelMountOptions options) {
    Path scratch = null;
    int entries = 0;
    try {
      sweep(tmp());
      scratch = Files.createTempDirectory(tmp(), PREFIX + ProcessHandle.current().pid() + "-");
      List<Path> lowers = List.of(scratch.resolve("lower1"), scratch.resolve("lower0"));
      Path upper = Files.createDirectories(scratch.resolve("upper"));
      Path work = Files.createDirectories(scratch.resolve("work"));
      fill(lowers, upper);
      try (NativeBuffer in = new NativeBuffer(1 << 16); NativeBuffer out = new NativeBuffer(READ_SIZE + 4096)) {
        for (int round = 0; round < ROUNDS; round++) {
          List<LowerLayer> layers = new ArrayList<>();
          for (Path l : lowers) {
            layers.add(HostDirLayer.open(l));
          }
          try (UnionFs fs = UnionFs.open(layers, upper, work, new UnionOptions(privileges, false, true, true))) {
            Warmup w = new Warmup(new Dispatcher(fs, options, new Passthrough(fs, null, false)), in, out);
            entries += w.walk();
            w.change(round);
          }
        }
      }
      return entries;
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "warm-up walk failed (the first requests will be slower): " + e);
      return -1;
    } finally {
      if (scratch != null) {
        delete(scratch);
      }
    }
  }

  /**
   * Deletes the scratch trees of processes that are gone: a server killed, or ended while its
   * warm-up ran, leaves its tree behind.
   */
  private static void sweep(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Matcher m = LEFT.matcher(p.getFileName().toString());
        if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
          delete(p);
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "no sweep of old warm-up trees in " + dir + ": " + e);
    }
  }

  /** A tmpfs if there is one: the scratch tree is small and never needs the disk. */
  private static Path tmp() {
    Path shm = Path.of("/dev/shm");
    return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
  }

  /** Two lowers that overlap in every directory, and an upper that holds a few names. */
  private static void fill(List<Path> lowers, Path upper) throws IOException {
    for (int d = 0; d < DIRS; d++) {
      for (int l = 0; l < lowers.size(); l++) {
        Path dir = Files.createDirectories(lowers.get(l).resolve("d" + d).resolve("sub"));
        for (int f = l; f < FILES; f += lowers.size() - l) {
          Files.writeString(dir.getParent().resolve("f" + f), "x".repeat(f));
        }
        Files.createSymbolicLink(dir.getParent().resolve("link" + l), Path.of("f0"));
      }
      Files.writeString(Files.createDirectories(upper.resolve("d" + d)).resolve("new"), "upper");
    }
  }

  /** One walk; returns how many entries the listings named (the dot entries aside). */
  private int walk() throws IOException {
    call(INIT, ROOT_ID, b -> b.putInt(KERNEL_MAJOR).putInt(KERNEL_MINOR).putInt(128 << 10).putInt(-1));
    List<Long> seen = new ArrayList<>();
    directory(ROOT_ID, seen, 0);
    call(GETATTR, ROOT_ID, b -> b.putInt(0).putInt(0).putLong(0));
    for (long node : seen) {
      call(FORGET, node, b -> b.putLong(1));
    }
    return listed;
  }

  /**
   * What a container's first writes ask: a lower file opened to write (its copy-up and its
   * directory's, xattrs read), written, synced and closed; a directory and a file made, renamed
   * and removed; a mode changed. Their answers are not checked: a failure (a user who may not
   * chown, say) costs only the classes it did not load.
   */
  private void change(int round) {
    long dir = lookup(ROOT_ID, "d" + round);
    long file = lookup(dir, "f3");
    if (file != 0) {
      long fh = openReply(call(OPEN, file, b -> b.putInt(HostFile.O_RDWR).putInt(0)));
      if (fh >= 0) {
        byte[] data = "warm".getBytes(StandardCharsets.UTF_8);
        call(WRITE, file, b -> b.putLong(fh).putLong(0).putInt(data.length).putInt(0).putLong(0).putInt(0).putInt(0)
            .put(data));
        call(FSYNC, file, b -> b.putLong(fh).putInt(0).putInt(0));
        call(FLUSH, file, b -> b.putLong(fh).putInt(0).putInt(0).putLong(0));
        call(RELEASE, file, b -> b.putLong(fh).putInt(0).putInt(0).putLong(0));
      }
      call(SETATTR, file, b -> b.putInt(FATTR_MODE).putInt(0).putLong(0).putLong(0).putLong(0).putLong(0)
          .putLong(0).putLong(0).putInt(0).putInt(0).putInt(0).putInt(0100600).putInt(0).putInt(0).putInt(0)
          .putInt(0));
    }
    if (dir != 0) {
      call(MKDIR, dir, b -> b.putInt(0755).putInt(022).put(name("made")));
      long fh = openReply(call(CREATE, dir, b -> b.putInt(HostFile.O_RDWR | HostFile.O_CREAT).putInt(0100644).putInt(022).putInt(0)
          .put(name("new-file"))));
      if (fh >= 0) {
        call(RELEASE, dir, b -> b.putLong(fh).putInt(0).putInt(0).putLong(0));
      }
      call(RENAME, dir, b -> b.putLong(dir).put(name("new-file")).put(name("renamed")));
      call(UNLINK, dir, b -> b.put(name("renamed")));
      call(UNLINK, dir, b -> b.put(name("f5")));
      call(RMDIR, dir, b -> b.put(name("made")));
    }
  }

  /** The node of {@code name} in {@code parent}, 0 if the lookup failed. */
  private long lookup(long parent, String name) {
    int len = call(LOOKUP, parent, b -> b.put(name(name)));
    return len > OUT_HEADER && out.getInt(4) == 0 ? out.getLong(OUT_HEADER) : 0;
  }

  /** The file handle of a successful OPEN or CREATE reply, -1 if it failed. */
  private long openReply(int len) {
    if (len <= OUT_HEADER || out.getInt(4) != 0) {
      return -1;
    }
    // CREATE answers an entry before the open_out.
    return len >= OUT_HEADER + ENTRY_OUT + OPEN_OUT ? out.getLong(OUT_HEADER + ENTRY_OUT) : out.getLong(OUT_HEADER);
  }

  private static byte[] name(String name) {
    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
    byte[] z = new byte[bytes.length + 1];
    System.arraycopy(bytes, 0, z, 0, bytes.length);
    return z;
  }

  /** Lists one directory as the kernel does on a fresh mount, and walks into its directories. */
  private void directory(long nodeid, List<Long> seen, int depth) throws IOException {
    long fh = reply(call(OPENDIR, nodeid, b -> b.putInt(0).putInt(0)), 0);
    long offset = 0;
    List<String> dirs = new ArrayList<>();
    while (true) {
      long from = offset;
      int len = call(READDIRPLUS, nodeid, b -> b.putLong(fh).putLong(from).putInt(READ_SIZE).putInt(0)
          .putLong(0).putInt(0).putInt(0));
      if (len <= OUT_HEADER) {
        break;
      }
      int at = OUT_HEADER;
      while (at < len) {
        long child = out.getLong(at);
        int mode = out.getInt(at + 40 + 60);
        long next = out.getLong(at + ENTRY_OUT + 8);
        int nameLength = out.getInt(at + ENTRY_OUT + 16);
        byte[] name = new byte[nameLength];
        out.get(at + ENTRY_OUT + DIRENT, name);
        if (child != 0) {
          listed++;
          seen.add(child);
          if ((mode & 0170000) == 0040000) {
            dirs.add(new String(name, StandardCharsets.UTF_8));
          } else if ((mode & 0170000) == 0120000) {
            call(READLINK, child, b -> { });
          }
        }
        offset = next;
        at += recordSize(DIRENTPLUS, nameLength);
      }
    }
    call(RELEASEDIR, nodeid, b -> b.putLong(fh).putInt(0).putInt(0).putLong(0));
    if (depth < 2) {
      for (String d : dirs) {
        int len = call(LOOKUP, nodeid, b -> b.put(d.getBytes(StandardCharsets.UTF_8)).put((byte) 0));
        if (len > OUT_HEADER) {
          long child = reply(len, 0);
          seen.add(child);
          directory(child, seen, depth + 1);
        }
      }
    }
  }

  private interface Body {
    void put(ByteBuffer b);
  }

  /** Sends one request through the dispatcher; returns the reply's length. */
  private int call(int opcode, long nodeid, Body body) {
    in.clear();
    in.position(IN_HEADER);
    body.put(in);
    int length = in.position();
    in.putInt(0, length).putInt(4, opcode).putLong(8, ++unique).putLong(16, nodeid)
        .putInt(24, 0).putInt(28, 0).putInt(32, 0).putInt(36, 0);
    rq.parse(length);
    return dispatcher.handle(rq, rp);
  }

  /** The u64 at {@code offset} of a successful reply's body. */
  private long reply(int length, int offset) throws IOException {
    if (length <= OUT_HEADER || out.getInt(4) != 0) {
      throw new IOException("warm-up request failed: errno " + -out.getInt(4));
    }
    return out.getLong(OUT_HEADER + offset);
  }

  private static void delete(Path root) {
    try (Stream<Path> s = Files.walk(root)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "warm-up tree " + root + " left behind: " + e);
    }
  }
}
