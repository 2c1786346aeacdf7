package dev.strata.build;

import dev.strata.blob.Durability;
import dev.strata.digest.Digest;
import dev.strata.host.Stat;
import dev.strata.layout.Store;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The SHA-256 of host files a build has read, remembered by what stat(2) says of them, so that a
 * build whose context did not change finds its copies in the cache without reading every file
 * again (git's index and BuildKit's content-hash cache do the same). A file is known by its
 * device and inode; its remembered digest is used only while its size, modification time and
 * change time are the ones it had when it was read. The change time moves with every write,
 * truncate, chmod and rename, and a process cannot set it back.
 *
 * <p>A file changed less than {@link #SETTLED_NANOS} before it was read is not remembered: a
 * filesystem keeps times to a clock tick (ext4, xfs) or to two seconds (FAT), so a write in the
 * same tick as the read could leave every time as it was (git calls such entries racily clean).
 *
 * <p>Kept in the store as {@code build-file-digests}: records of five longs (device, inode, size,
 * mtime and ctime in nanoseconds) and 32 bytes of digest, written whole to a temp file and renamed
 * into place, so concurrent builds lose at worst each other's entries, never a file's meaning.
 */
final class FileDigests {
  static final long SETTLED_NANOS = 2_000_000_000L;
  private static final String FILE = "build-file-digests";
  private static final int MAGIC = 0x53464431; // "SFD1"
  private static final int RECORD = 5 * Long.BYTES + 32;
  /** Entries kept beyond the ones the last build used: enough for a few contexts, bounded. */
  private static final int MAX_KEPT = 200_000;

  private record Identity(long dev, long ino) {}

  private record Entry(long size, long mtimeNanos, long ctimeNanos, byte[] sha256) {}

  private final Path file;
  private final Path tmp;
  private final Map<Identity, Entry> known;
  private final Map<Identity, Entry> used = new HashMap<>();
  private LongSupplier clock = () -> System.currentTimeMillis() * 1_000_000L;
  private boolean changed;

  private FileDigests(Path file, Path tmp, Map<Identity, Entry> known) {
    this.file = file;
    this.tmp = tmp;
    this.known = known;
  }

  /** A cache that remembers nothing and writes nothing (a build without a store's memory). */
  static FileDigests none() {
    return new FileDigests(null, null, new HashMap<>());
  }

  /**
   * A cache that trusts none of {@code store}'s remembered digests but remembers what it reads
   * ({@code --no-cache}: every file read, the store's memory written anew).
   */
  static FileDigests fresh(Store store) {
    return new FileDigests(store.root().resolve(FILE), store.tmp(), new HashMap<>());
  }

  /** Reads {@code store}'s remembered digests; a missing or unreadable file is an empty cache. */
  static FileDigests load(Store store) throws IOException {
    Path file = store.root().resolve(FILE);
    Map<Identity, Entry> known = new HashMap<>();
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      bytes = new byte[0];
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    if (b.remaining() >= 8 && b.getInt() == MAGIC) {
      int count = b.getInt();
      if (count >= 0 && (long) count * RECORD == b.remaining()) {
        for (int i = 0; i < count; i++) {
          Identity id = new Identity(b.getLong(), b.getLong());
          long size = b.getLong();
          long mtime = b.getLong();
          long ctime = b.getLong();
          byte[] sha = new byte[32];
          b.get(sha);
          known.put(id, new Entry(size, mtime, ctime, sha));
        }
      } // else: torn or foreign; start over rather than trust any of it
    }
    return new FileDigests(file, store.tmp(), known);
  }

  /** Returns this cache reading the wall clock, in nanoseconds, from {@code nanos} (tests). */
  FileDigests withClock(LongSupplier nanos) {
    this.clock = nanos;
    return this;
  }

  /** Returns the wall clock in nanoseconds: call before opening a file, and pass to {@link #put}. */
  long now() {
    return clock.getAsLong();
  }

  /** Returns the remembered digest of the file {@code st} describes, or null when unknown or changed. */
  Digest get(Stat st) {
    Identity id = new Identity(st.dev(), st.ino());
    Entry e = known.get(id);
    if (e == null || e.size != st.size() || e.mtimeNanos != st.mtimeNanos() || e.ctimeNanos != st.ctimeNanos()) {
      return null;
    }
    used.put(id, e);
    return Digest.fromRaw("sha256", e.sha256);
  }

  /**
   * Remembers that the file {@code st} describes had {@code digest} when read at {@code readAtNanos}
   * (the wall clock before it was opened), unless it changed too shortly before to be sure.
   */
  void put(Stat st, Digest digest, long readAtNanos) {
    if (file == null || st.ctimeNanos() > readAtNanos - SETTLED_NANOS || st.mtimeNanos() > readAtNanos - SETTLED_NANOS) {
      return;
    }
    Identity id = new Identity(st.dev(), st.ino());
    Entry e = new Entry(st.size(), st.mtimeNanos(), st.ctimeNanos(), digest.raw());
    used.put(id, e);
    known.put(id, e);
    changed = true;
  }

  /** Writes the cache back when this build learned anything. */
  void save() throws IOException {
    if (file == null || !changed) {
      return;
    }
    Map<Identity, Entry> keep = new HashMap<>(used);
    for (Map.Entry<Identity, Entry> e : known.entrySet()) {
      if (keep.size() >= MAX_KEPT) {
        break;
      }
      keep.putIfAbsent(e.getKey(), e.getValue());
    }
    ByteBuffer b = ByteBuffer.allocate(8 + keep.size() * RECORD);
    b.putInt(MAGIC).putInt(keep.size());
    for (Map.Entry<Identity, Entry> e : keep.entrySet()) {
      Entry v = e.getValue();
      b.putLong(e.getKey().dev).putLong(e.getKey().ino).putLong(v.size).putLong(v.mtimeNanos)
          .putLong(v.ctimeNanos).put(v.sha256);
    }
    Durability.writeAtomically(file, tmp, b.array());
    changed = false;
  }
}
