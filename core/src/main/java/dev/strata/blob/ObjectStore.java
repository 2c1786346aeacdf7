package dev.strata.blob;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedSet;
import dev.strata.digest.Digest;
import dev.strata.digest.DigestingInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The contents of regular files of every layer, addressed by sha256 and stored once.
 *
 * <p>Large contents are loose files, {@code objects/sha256/<xx>/<hex>}, so that copy-up can
 * clone them; small ones (most files of an image) live in packs, {@code objects/packs/}, so
 * that ingesting a layer creates a few files instead of thousands. Callers see one set of
 * digests either way.
 */
public final class ObjectStore {
  /** Contents up to this size are packed. */
  public static final int PACK_LIMIT = 64 * 1024;
  static final String PACKS = "packs";

  private final ContentStore loose;
  private final PackCatalog packs;

  private ObjectStore(ContentStore loose, PackCatalog packs) {
    this.loose = loose;
    this.packs = packs;
  }

  /** Opens the objects directory {@code root}, staging writes in {@code tmp}. */
  public static ObjectStore open(Path root, Path tmp) throws IOException {
    ObjectStore store = new ObjectStore(ContentStore.fannedOut(root, tmp), new PackCatalog(root.resolve(PACKS)));
    store.packs.refresh();
    return store;
  }

  /** Returns the objects directory. */
  public Path root() {
    return loose.root();
  }

  /** Returns whether {@code digest} is stored, loose or packed. */
  public boolean contains(Digest digest) {
    return loose.contains(digest) || packs.find(digest) != null;
  }

  /** Returns the size of {@code digest}, or -1 if absent. */
  public long size(Digest digest) throws IOException {
    PackCatalog.Location at = packs.find(digest);
    return at != null ? at.slot().length() : loose.size(digest);
  }

  /** Opens the content of {@code digest}. */
  public InputStream open(Digest digest) throws IOException {
    PackCatalog.Location at = packs.find(digest);
    if (at == null) {
      return loose.open(digest);
    }
    return new ByteArrayInputStream(read(at));
  }

  /**
   * Opens the content of {@code digest} for reads at any position, without reading it; fails with
   * NoSuchFileException if it is not stored. A pack written by another process since the last
   * look is found too.
   */
  public ObjectContent openContent(Digest digest) throws IOException {
    PackCatalog.Location at = packs.find(digest);
    if (at == null) {
      long size = loose.size(digest);
      if (size >= 0) {
        return ObjectContent.loose(loose.path(digest), size);
      }
      packs.refresh();
      at = packs.find(digest);
      if (at == null) {
        throw new NoSuchFileException(loose.path(digest).toString(), null, "object " + digest + " is not stored");
      }
    }
    return ObjectContent.packed(at.pack(), at.slot().offset(), at.slot().length());
  }

  private static byte[] read(PackCatalog.Location at) throws IOException {
    byte[] bytes = new byte[at.slot().length()];
    try (FileChannel ch = FileChannel.open(at.pack(), StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      long pos = at.slot().offset();
      while (buf.hasRemaining()) {
        if (ch.read(buf, pos + buf.position()) < 0) {
          throw new IOException("pack " + at.pack().getFileName() + " ends before object " + at.slot().digest());
        }
      }
    }
    return bytes;
  }

  /** Starts a batch of writes made durable and visible together. */
  public ObjectBatch batch() throws IOException {
    packs.refresh();
    Files.createDirectories(loose.tmp());
    return new ObjectBatch(loose, packs, Files.createTempDirectory(loose.tmp(), "batch-"));
  }

  /** Re-hashes {@code digest}'s content and says whether it still matches. */
  public boolean verify(Digest digest) throws IOException {
    try (DigestingInputStream in = new DigestingInputStream(open(digest), digest.algorithm())) {
      in.transferTo(OutputStreams.NULL);
      return in.digest().equals(digest);
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  /** Lists every stored digest, loose and packed; stray files are reported. */
  public ImmutableSortedSet<Digest> list(Consumer<Path> strays) throws IOException {
    packs.refresh();
    ImmutableSortedSet.Builder<Digest> out = ImmutableSortedSet.naturalOrder();
    out.addAll(loose.list(strays));
    for (PackIndex index : packs.packs().values()) {
      for (int i = 0; i < index.count(); i++) {
        out.add(index.slot(i).digest());
      }
    }
    return out.build();
  }

  /** Re-hashes every loose object; returns the bad ones, removed if {@code repair}. Returns how many were checked via {@code checked}. */
  public List<Digest> checkLoose(boolean repair, Consumer<Path> strays, int[] checked) throws IOException {
    List<Digest> bad = new ArrayList<>();
    for (Digest d : loose.list(strays)) {
      checked[0]++;
      if (!loose.verify(d)) {
        bad.add(d);
        if (repair) {
          loose.delete(d);
        }
      }
    }
    return bad;
  }

  /** Returns how many objects the packs hold. */
  public int packedCount() throws IOException {
    packs.refresh();
    return packs.packs().values().stream().mapToInt(PackIndex::count).sum();
  }

  /** A problem found in a pack. */
  public record PackProblem(String pack, String detail) {}

  /**
   * Checks every pack: its index, its name (the sha256 of the pack) and every object in it.
   * With {@code repair}, removes bad packs. Returns the digests that were in bad packs too.
   */
  public List<PackProblem> checkPacks(boolean repair, Set<Digest> badObjects) throws IOException {
    List<PackProblem> problems = new ArrayList<>();
    Path dir = packs.dir();
    if (!Files.isDirectory(dir)) {
      return problems;
    }
    List<Path> files;
    try (var list = Files.list(dir)) {
      files = list.sorted().toList();
    }
    for (Path f : files) {
      String file = f.getFileName().toString();
      if (!file.endsWith(PackCatalog.INDEX)) {
        if (!file.endsWith(PackCatalog.PACK) || !Files.exists(dir.resolve(stem(file, PackCatalog.PACK) + PackCatalog.INDEX))) {
          problems.add(new PackProblem(file, "no index beside it (an interrupted write; gc removes it)"));
        }
        continue;
      }
      String name = stem(file, PackCatalog.INDEX);
      Path pack = dir.resolve(name + PackCatalog.PACK);
      String detail = null;
      PackIndex index = null;
      try {
        index = PackIndex.parse(Files.readAllBytes(f));
        byte[] content = Files.readAllBytes(pack);
        if (!Digest.sha256(content).hex().equals(name)) {
          detail = "pack content does not match its name";
        }
        for (int i = 0; i < index.count(); i++) {
          PackIndex.Slot s = index.slot(i);
          if (s.offset() < 0 || s.offset() + s.length() > content.length
              || !Digest.sha256(Arrays.copyOfRange(content, (int) s.offset(), (int) s.offset() + s.length())).equals(s.digest())) {
            badObjects.add(s.digest());
            detail = detail != null ? detail : "object " + s.digest() + " does not match its digest";
          }
        }
      } catch (NoSuchFileException e) {
        detail = "the pack file is missing";
      } catch (IOException e) {
        detail = e.getMessage();
      }
      if (detail != null) {
        if (index != null) {
          for (int i = 0; i < index.count(); i++) {
            badObjects.add(index.slot(i).digest());
          }
        }
        if (repair) {
          removePack(name);
        }
        problems.add(new PackProblem(name, detail));
      }
    }
    return problems;
  }

  private static String stem(String file, String suffix) {
    return file.substring(0, file.length() - suffix.length());
  }

  private void removePack(String name) throws IOException {
    // Index first: without it the pack is invisible, so a crash in between leaves a stray pack
    // (gc removes it) and never an index that points at nothing.
    Files.deleteIfExists(packs.dir().resolve(name + PackCatalog.INDEX));
    Files.deleteIfExists(packs.dir().resolve(name + PackCatalog.PACK));
    packs.forget(name);
  }

  /** What {@link #retain} removed: how many objects and bytes. */
  public record Removed(ImmutableList<Digest> objects, long bytes) {}

  /**
   * Removes every object not in {@code live}. A pack with no live object is deleted; a pack
   * that is mostly dead is rewritten with its live objects, unless it holds one of {@code
   * fixed}: objects that a running process (a mount) may read where it found them. Call only
   * under the store's exclusive lock.
   */
  public Removed retain(Set<Digest> live, Set<Digest> fixed, boolean dryRun) throws IOException {
    List<Digest> removed = new ArrayList<>();
    long bytes = 0;
    for (Digest d : loose.list(stray -> { })) {
      if (!live.contains(d)) {
        bytes += loose.size(d);
        removed.add(d);
        if (!dryRun) {
          loose.delete(d);
        }
      }
    }
    packs.refresh();
    for (Map.Entry<String, PackIndex> e : packs.packs().entrySet()) {
      PackIndex index = e.getValue();
      List<PackIndex.Slot> keep = new ArrayList<>();
      long deadBytes = 0;
      long liveBytes = 0;
      List<Digest> dead = new ArrayList<>();
      for (int i = 0; i < index.count(); i++) {
        PackIndex.Slot s = index.slot(i);
        if (live.contains(s.digest())) {
          keep.add(s);
          liveBytes += s.length();
        } else {
          dead.add(s.digest());
          deadBytes += s.length();
        }
      }
      if (dead.isEmpty() || (!keep.isEmpty() && deadBytes < liveBytes)) {
        continue; // rewriting a mostly live pack would cost more than the space it frees
      }
      if (keep.stream().anyMatch(s -> fixed.contains(s.digest()))) {
        continue; // a mount reads from it; the next gc after the mount ends rewrites it
      }
      removed.addAll(dead);
      bytes += deadBytes;
      if (dryRun) {
        continue;
      }
      if (!keep.isEmpty()) {
        Path pack = packs.dir().resolve(e.getKey() + PackCatalog.PACK);
        packs.forget(e.getKey());
        try (ObjectBatch batch = new ObjectBatch(loose, packs, Files.createTempDirectory(loose.tmp(), "repack-"))) {
          for (PackIndex.Slot s : keep) {
            byte[] content = read(new PackCatalog.Location(pack, s));
            batch.add(new ByteArrayInputStream(content), content.length);
          }
          batch.commit();
        }
      }
      removePack(e.getKey());
    }
    // Packs without an index are leftovers of interrupted writes.
    if (!dryRun && Files.isDirectory(packs.dir())) {
      try (var list = Files.list(packs.dir())) {
        for (Path f : (Iterable<Path>) list::iterator) {
          String file = f.getFileName().toString();
          if (file.endsWith(PackCatalog.PACK)
              && !Files.exists(packs.dir().resolve(stem(file, PackCatalog.PACK) + PackCatalog.INDEX))) {
            Files.delete(f);
          }
        }
      }
    }
    return new Removed(ImmutableList.copyOf(removed), bytes);
  }
}
