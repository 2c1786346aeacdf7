package dev.strata.fuse.kernel;

import static dev.strata.fuse.kernel.Protocol.*;

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
import java.util.stream.Stream;

/**
 * Walks a small scratch union through a private dispatcher the way the kernel walks a fresh
 * mount: LOOKUP, OPENDIR, READDIRPLUS, RELEASEDIR, GETATTR, READLINK, FORGET.
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
      scratch = Files.createTempDirectory(tmp(), "strata-warmup-");
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
            entries += new Warmup(new Dispatcher(fs, options), in, out).walk();
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
