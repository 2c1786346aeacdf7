package dev.strata.blob;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.digest.Digest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Small contents go to packs, large ones stay loose; callers see one set of digests. */
class ObjectStoreTest {
  @TempDir Path dir;

  private ObjectStore open() throws IOException {
    return ObjectStore.open(dir.resolve("objects"), dir.resolve("tmp"));
  }

  private static byte[] bytes(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static Digest add(ObjectBatch batch, byte[] content) throws IOException {
    return batch.add(new ByteArrayInputStream(content), content.length);
  }

  private static byte[] read(ObjectStore store, Digest d) throws IOException {
    try (InputStream in = store.open(d)) {
      return in.readAllBytes();
    }
  }

  /**
   * A pull's process looked at the packs before it held the store's lock; gc, in another
   * process, removed them meanwhile. Its next batch must store those contents again, not skip
   * them as stored (a pull beside gc lost a layer's 10,000 files that way).
   */
  @Test
  void aBatchStoresAgainWhatAnotherProcessRemovedSinceThisOneLooked() throws IOException {
    ObjectStore puller = open();
    ObjectStore gc = open();
    List<byte[]> contents = new java.util.ArrayList<>();
    for (int i = 0; i < 100; i++) {
      contents.add(("file " + i).getBytes(StandardCharsets.UTF_8));
    }
    try (ObjectBatch batch = puller.batch()) {
      for (byte[] c : contents) {
        add(batch, c);
      }
      batch.commit();
    }
    assertThat(gc.retain(java.util.Set.of(), java.util.Set.of(), false).objects()).hasSize(100);

    List<Digest> digests = new java.util.ArrayList<>();
    try (ObjectBatch batch = puller.batch()) {
      for (byte[] c : contents) {
        digests.add(add(batch, c));
      }
      batch.commit();
    }
    for (int i = 0; i < contents.size(); i++) {
      assertThat(read(open(), digests.get(i))).isEqualTo(contents.get(i));
    }
  }

  @Test
  void smallContentsArePackedAndLargeOnesAreLoose() throws IOException {
    ObjectStore store = open();
    byte[] small = "a small file".getBytes(StandardCharsets.UTF_8);
    byte[] large = bytes(ObjectStore.PACK_LIMIT + 1, 1);
    Digest s;
    Digest l;
    try (ObjectBatch batch = store.batch()) {
      s = add(batch, small);
      l = add(batch, large);
      assertThat(store.contains(s)).as("invisible before commit").isFalse();
      batch.commit();
    }
    assertThat(read(store, s)).isEqualTo(small);
    assertThat(read(store, l)).isEqualTo(large);
    assertThat(store.size(s)).isEqualTo(small.length);
    assertThat(store.size(l)).isEqualTo(large.length);
    assertThat(Files.exists(dir.resolve("objects/sha256/" + l.hex().substring(0, 2) + "/" + l.hex()))).isTrue();
    assertThat(Files.exists(dir.resolve("objects/sha256/" + s.hex().substring(0, 2) + "/" + s.hex()))).isFalse();
    try (Stream<Path> packs = Files.list(dir.resolve("objects/packs"))) {
      assertThat(packs.map(p -> p.getFileName().toString().replaceAll(".*\\.", ""))).containsExactlyInAnyOrder("pack", "idx");
    }
    assertThat(store.list(p -> { })).containsExactlyInAnyOrder(s, l);
    assertThat(store.verify(s)).isTrue();
    // A second handle on the same directory sees the packed object too.
    assertThat(read(open(), s)).isEqualTo(small);
  }

  @Test
  void contentAlreadyStoredIsNotWrittenAgain() throws IOException {
    ObjectStore store = open();
    byte[] small = bytes(1000, 2);
    try (ObjectBatch batch = store.batch()) {
      add(batch, small);
      add(batch, small);
      assertThat(batch.stagedCount()).isEqualTo(1);
      assertThat(batch.dedupedBytes()).isEqualTo(1000);
      batch.commit();
    }
    try (ObjectBatch batch = store.batch()) {
      add(batch, small);
      assertThat(batch.stagedCount()).isZero();
      batch.commit();
    }
    try (Stream<Path> packs = Files.list(dir.resolve("objects/packs"))) {
      assertThat(packs.count()).isEqualTo(2);
    }
  }

  @Test
  void aBatchClosedWithoutCommitLeavesNothing() throws IOException {
    ObjectStore store = open();
    Digest d;
    try (ObjectBatch batch = store.batch()) {
      d = add(batch, bytes(500, 3));
      add(batch, bytes(ObjectStore.PACK_LIMIT * 2, 4));
    }
    assertThat(store.contains(d)).isFalse();
    assertThat(store.list(p -> { })).isEmpty();
    try (Stream<Path> tmp = Files.list(dir.resolve("tmp"))) {
      assertThat(tmp).isEmpty();
    }
  }

  @Test
  void retainDropsDeadPacksAndRewritesMostlyDeadOnes() throws IOException {
    ObjectStore store = open();
    List<Digest> first = new ArrayList<>();
    List<Digest> second = new ArrayList<>();
    try (ObjectBatch batch = store.batch()) {
      for (int i = 0; i < 10; i++) {
        first.add(add(batch, bytes(2000, 100 + i)));
      }
      batch.commit();
    }
    try (ObjectBatch batch = store.batch()) {
      for (int i = 0; i < 10; i++) {
        second.add(add(batch, bytes(2000, 200 + i)));
      }
      batch.commit();
    }
    Digest loose;
    try (ObjectBatch batch = store.batch()) {
      loose = add(batch, bytes(ObjectStore.PACK_LIMIT + 10, 300));
      batch.commit();
    }
    // Keep one object of the second pack only: the first pack goes, the second is rewritten.
    Set<Digest> live = new HashSet<>(List.of(second.get(3)));
    ObjectStore.Removed dry = store.retain(live, java.util.Set.of(), true);
    assertThat(dry.objects()).hasSize(20);
    assertThat(store.list(p -> { })).hasSize(21);

    ObjectStore.Removed removed = store.retain(live, java.util.Set.of(), false);
    assertThat(removed.objects()).containsExactlyInAnyOrderElementsOf(
        Stream.concat(Stream.concat(first.stream(), second.stream().filter(d -> !live.contains(d))), Stream.of(loose)).toList());
    assertThat(store.list(p -> { })).containsExactly(second.get(3));
    assertThat(read(open(), second.get(3))).isEqualTo(bytes(2000, 203));
    assertThat(store.checkPacks(false, new HashSet<>())).isEmpty();
  }

  /**
   * A pack holding an object a mount may read (fixed) is not rewritten, though it is mostly
   * dead: the mount found the object there and reads it there; the dead objects stay until a
   * later gc. A wholly dead pack goes either way.
   */
  @Test
  void retainLeavesInPlaceThePacksOfFixedObjects() throws IOException {
    ObjectStore store = open();
    List<Digest> first = new ArrayList<>();
    List<Digest> second = new ArrayList<>();
    try (ObjectBatch batch = store.batch()) {
      for (int i = 0; i < 10; i++) {
        first.add(add(batch, bytes(2000, 400 + i)));
      }
      batch.commit();
    }
    try (ObjectBatch batch = store.batch()) {
      for (int i = 0; i < 10; i++) {
        second.add(add(batch, bytes(2000, 500 + i)));
      }
      batch.commit();
    }
    Set<Digest> live = Set.of(second.get(3));
    List<Path> before = packFiles();
    ObjectStore.Removed removed = store.retain(live, live, false);
    assertThat(removed.objects()).containsExactlyInAnyOrderElementsOf(first);
    List<Path> after = packFiles();
    assertThat(after).hasSize(1).isSubsetOf(before);
    assertThat(read(open(), second.get(3))).isEqualTo(bytes(2000, 503));
    assertThat(store.list(p -> { })).containsExactlyInAnyOrderElementsOf(second);
    // Once nothing is fixed, the pack is rewritten with its one live object.
    assertThat(store.retain(live, Set.of(), false).objects()).hasSize(9);
    assertThat(store.list(p -> { })).containsExactly(second.get(3));
  }

  private List<Path> packFiles() throws IOException {
    try (Stream<Path> packs = Files.list(dir.resolve("objects/packs"))) {
      return packs.filter(p -> p.toString().endsWith(".pack")).sorted().toList();
    }
  }

  @Test
  void checkPacksFindsDamageAndRepairRemovesThePack() throws IOException {
    ObjectStore store = open();
    Digest d;
    try (ObjectBatch batch = store.batch()) {
      d = add(batch, bytes(3000, 5));
      add(batch, bytes(3000, 6));
      batch.commit();
    }
    Path pack;
    try (Stream<Path> packs = Files.list(dir.resolve("objects/packs"))) {
      pack = packs.filter(p -> p.toString().endsWith(".pack")).findFirst().orElseThrow();
    }
    byte[] b = Files.readAllBytes(pack);
    b[10] ^= 1;
    Files.write(pack, b);
    Set<Digest> bad = new HashSet<>();
    assertThat(store.checkPacks(false, bad)).singleElement()
        .satisfies(p -> assertThat(p.detail()).contains("does not match"));
    assertThat(bad).contains(d);
    store.checkPacks(true, new HashSet<>());
    assertThat(open().contains(d)).isFalse();
    try (Stream<Path> packs = Files.list(dir.resolve("objects/packs"))) {
      assertThat(packs).isEmpty();
    }
  }
}
