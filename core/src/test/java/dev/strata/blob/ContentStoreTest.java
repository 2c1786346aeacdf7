package dev.strata.blob;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.digest.Digest;
import dev.strata.digest.DigestMismatchException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContentStoreTest {
  private static final byte[] MANIFEST = "{\"schemaVersion\":2}".getBytes(UTF_8);

  @TempDir
  Path dir;
  private Path tmp;
  private ContentStore blobs;
  private ContentStore objects;
  private ExecutorService pool;

  @BeforeEach
  void setUp() {
    tmp = dir.resolve("tmp");
    blobs = ContentStore.flat(dir.resolve("blobs"), tmp);
    objects = ContentStore.fannedOut(dir.resolve("objects"), tmp);
  }

  @AfterEach
  void tearDown() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  @Test
  void writeThenReadBack() throws IOException {
    Digest expected = Digest.sha256(MANIFEST);

    Digest written = blobs.write(new ByteArrayInputStream(MANIFEST), expected, MANIFEST.length);

    assertThat(written).isEqualTo(expected);
    assertThat(blobs.contains(expected)).isTrue();
    assertThat(blobs.size(expected)).isEqualTo(MANIFEST.length);
    assertThat(blobs.readAllBytes(expected)).isEqualTo(MANIFEST);
    try (var in = blobs.open(expected)) {
      assertThat(in.readAllBytes()).isEqualTo(MANIFEST);
    }
    assertThat(tmpFiles()).isEmpty();
  }

  @Test
  void writeWithUnknownSizeAndDigestReturnsTheDigest() throws IOException {
    Digest written = blobs.write(new ByteArrayInputStream(MANIFEST), null, -1);

    assertThat(written).isEqualTo(Digest.sha256(MANIFEST));
    assertThat(blobs.readAllBytes(written)).isEqualTo(MANIFEST);
  }

  @Test
  void writeBytesIsIdempotent() throws IOException {
    Digest first = blobs.write(MANIFEST);
    Digest second = blobs.write(MANIFEST);

    assertThat(second).isEqualTo(first);
    assertThat(blobs.list(stray -> { })).containsExactly(first);
  }

  @Test
  void writesASha512AddressedBlob() throws IOException {
    var md = Digest.newMessageDigest(Digest.SHA512);
    Digest expected = Digest.fromRaw(Digest.SHA512, md.digest(MANIFEST));

    Digest written = blobs.write(new ByteArrayInputStream(MANIFEST), expected, MANIFEST.length);

    assertThat(written).isEqualTo(expected);
    assertThat(blobs.path(expected)).isEqualTo(dir.resolve("blobs/sha512/" + expected.hex()));
    assertThat(blobs.verify(expected)).isTrue();
  }

  @Test
  void digestMismatchLeavesNothingBehind() throws IOException {
    Digest wrong = Digest.sha256("something else".getBytes(UTF_8));

    assertThatThrownBy(() -> blobs.write(new ByteArrayInputStream(MANIFEST), wrong, MANIFEST.length))
        .isInstanceOf(DigestMismatchException.class)
        .hasMessageContaining("blob digest")
        .hasMessageContaining(wrong.toString())
        .hasMessageContaining(Digest.sha256(MANIFEST).toString());

    assertThat(blobs.contains(wrong)).isFalse();
    assertThat(blobs.contains(Digest.sha256(MANIFEST))).isFalse();
    assertThat(storeFiles(blobs)).isEmpty();
    assertThat(tmpFiles()).isEmpty();
  }

  @Test
  void sizeMismatchLeavesNothingBehind() throws IOException {
    Digest right = Digest.sha256(MANIFEST);

    assertThatThrownBy(() -> blobs.write(new ByteArrayInputStream(MANIFEST), right, MANIFEST.length + 1))
        .isInstanceOf(DigestMismatchException.class)
        .hasMessageContaining("size of blob " + right)
        .hasMessageContaining("expected " + (MANIFEST.length + 1) + ", got " + MANIFEST.length);

    assertThat(blobs.contains(right)).isFalse();
    assertThat(storeFiles(blobs)).isEmpty();
    assertThat(tmpFiles()).isEmpty();
  }

  @Test
  void pendingBlobClosedWithoutCommitLeavesNothing() throws IOException {
    try (PendingBlob pending = blobs.begin()) {
      pending.output().write(MANIFEST);
      assertThat(pending.size()).isEqualTo(MANIFEST.length);
    }

    assertThat(blobs.contains(Digest.sha256(MANIFEST))).isFalse();
    assertThat(storeFiles(blobs)).isEmpty();
    assertThat(tmpFiles()).isEmpty();
  }

  @Test
  void pendingBlobOutputIgnoresCloseByCaller() throws IOException {
    Digest digest;
    try (PendingBlob pending = blobs.begin()) {
      try (var out = pending.output()) {
        out.write(MANIFEST, 0, 5);
      }
      pending.output().write(MANIFEST, 5, MANIFEST.length - 5);
      digest = pending.commit(null, -1);
    }

    assertThat(digest).isEqualTo(Digest.sha256(MANIFEST));
    assertThat(blobs.readAllBytes(digest)).isEqualTo(MANIFEST);
    assertThat(tmpFiles()).isEmpty();
  }

  @Test
  void concurrentWritersOfOneBlobBothSucceedWithOneFile() throws Exception {
    pool = Executors.newFixedThreadPool(2);
    for (int round = 0; round < 25; round++) {
      byte[] content = ("layer content, round " + round).repeat(200).getBytes(UTF_8);
      Digest expected = Digest.sha256(content);
      CyclicBarrier start = new CyclicBarrier(2);
      Callable<Digest> writer = () -> {
        start.await(10, TimeUnit.SECONDS);
        return objects.write(new ByteArrayInputStream(content), expected, content.length);
      };
      Future<Digest> a = pool.submit(writer);
      Future<Digest> b = pool.submit(writer);

      assertThat(a.get(10, TimeUnit.SECONDS)).isEqualTo(expected);
      assertThat(b.get(10, TimeUnit.SECONDS)).isEqualTo(expected);
      assertThat(objects.readAllBytes(expected)).isEqualTo(content);
    }

    List<Path> strays = new ArrayList<>();
    assertThat(objects.list(strays::add)).hasSize(25);
    assertThat(strays).isEmpty();
    assertThat(storeFiles(objects)).hasSize(25);
    assertThat(tmpFiles()).isEmpty();
  }

  @Test
  void flatLayoutIsAlgorithmThenHex() {
    Digest d = Digest.sha256(MANIFEST);

    assertThat(blobs.root()).isEqualTo(dir.resolve("blobs"));
    assertThat(blobs.path(d)).isEqualTo(dir.resolve("blobs").resolve("sha256").resolve(d.hex()));
  }

  @Test
  void fannedOutLayoutPutsTwoHexDigitsInBetween() throws IOException {
    Digest d = objects.write(MANIFEST);

    Path path = objects.path(d);
    Path rel = objects.root().relativize(path);
    assertThat(rel.getNameCount()).isEqualTo(3);
    assertThat(rel.getName(0)).hasToString("sha256");
    assertThat(rel.getName(1)).hasToString(d.hex().substring(0, 2));
    assertThat(rel.getName(2)).hasToString(d.hex());
    assertThat(Files.isRegularFile(path)).isTrue();
  }

  @Test
  void absentBlobHasSizeMinusOneAndCannotBeOpened() throws IOException {
    Digest absent = Digest.sha256(MANIFEST);

    assertThat(blobs.contains(absent)).isFalse();
    assertThat(blobs.size(absent)).isEqualTo(-1);
    assertThatThrownBy(() -> blobs.open(absent)).isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void deleteRemovesTheBlob() throws IOException {
    Digest d = blobs.write(MANIFEST);

    assertThat(blobs.delete(d)).isTrue();
    assertThat(blobs.delete(d)).isFalse();
    assertThat(blobs.contains(d)).isFalse();
  }

  @Test
  void listFindsDigestsAndReportsStrays() throws IOException {
    Digest a = objects.write("a".getBytes(UTF_8));
    Digest b = objects.write("b".getBytes(UTF_8));
    Path root = objects.root();
    Path misplaced = root.resolve("sha256").resolve("00").resolve(a.hex().startsWith("00") ? b.hex() : a.hex());
    Files.createDirectories(misplaced.getParent());
    Files.writeString(misplaced, "in the wrong fan-out directory");
    Path notHex = root.resolve("sha256").resolve("ab").resolve("not-a-digest");
    Files.createDirectories(notHex.getParent());
    Files.writeString(notHex, "junk");
    Path upper = root.resolve("sha256").resolve(a.hex().substring(0, 2)).resolve(a.hex().toUpperCase());
    Files.writeString(upper, "uppercase");
    Path topLevel = root.resolve("README");
    Files.writeString(topLevel, "junk");
    Path unknownAlgorithm = root.resolve("md5").resolve("d4").resolve("d41d8cd98f00b204e9800998ecf8427e");
    Files.createDirectories(unknownAlgorithm.getParent());
    Files.writeString(unknownAlgorithm, "junk");

    List<Path> strays = new ArrayList<>();
    assertThat(objects.list(strays::add)).containsExactly(a.compareTo(b) < 0 ? new Digest[] {a, b} : new Digest[] {b, a});
    assertThat(strays).containsExactlyInAnyOrder(misplaced, notHex, upper, topLevel, unknownAlgorithm);
  }

  @Test
  void listOfFlatStoreReportsFannedOutNamesAsStrays() throws IOException {
    Digest a = blobs.write("a".getBytes(UTF_8));
    Path fanned = blobs.root().resolve("sha256").resolve("ab").resolve(a.hex());
    Files.createDirectories(fanned.getParent());
    Files.writeString(fanned, "a");

    List<Path> strays = new ArrayList<>();
    assertThat(blobs.list(strays::add)).containsExactly(a);
    assertThat(strays).containsExactly(fanned);
  }

  @Test
  void listOfAMissingRootIsEmpty() throws IOException {
    assertThat(ContentStore.flat(dir.resolve("nowhere"), tmp).list(stray -> { })).isEmpty();
  }

  @Test
  void verifyDetectsACorruptedFile() throws IOException {
    Digest d = objects.write(MANIFEST);
    assertThat(objects.verify(d)).isTrue();

    byte[] damaged = MANIFEST.clone();
    damaged[3] ^= 0x01;
    Files.write(objects.path(d), damaged);

    assertThat(objects.verify(d)).isFalse();
  }

  @Test
  void verifyDetectsATruncatedFile() throws IOException {
    Digest d = blobs.write(MANIFEST);
    Files.write(blobs.path(d), new byte[0]);

    assertThat(blobs.verify(d)).isFalse();
  }

  private List<Path> tmpFiles() throws IOException {
    if (!Files.isDirectory(tmp)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(tmp)) {
      return files.filter(p -> !p.equals(tmp)).toList();
    }
  }

  private static List<Path> storeFiles(ContentStore store) throws IOException {
    if (!Files.isDirectory(store.root())) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(store.root())) {
      return files.filter(Files::isRegularFile).toList();
    }
  }
}
