package dev.strata.blob;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.digest.Digest;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ObjectBatchTest {
  /** Just above the batch's in-memory limit, so content streams through a staging file. */
  private static final int LARGE = (1 << 20) + 4096;

  @TempDir
  Path dir;
  private Path tmp;
  private ContentStore objects;

  @BeforeEach
  void setUp() {
    tmp = dir.resolve("tmp");
    objects = ContentStore.fannedOut(dir.resolve("objects"), tmp);
  }

  @Test
  void commitMakesObjectsVisible() throws IOException {
    byte[] hosts = "127.0.0.1 localhost\n".getBytes(UTF_8);
    byte[] passwd = "root:x:0:0:root:/root:/bin/sh\n".getBytes(UTF_8);
    Digest a;
    Digest b;
    try (ObjectBatch batch = objects.batch()) {
      a = batch.add(new ByteArrayInputStream(hosts), hosts.length);
      b = batch.add(new ByteArrayInputStream(passwd), passwd.length);

      assertThat(objects.contains(a)).isFalse();
      assertThat(objects.contains(b)).isFalse();

      batch.commit();
    }

    assertThat(a).isEqualTo(Digest.sha256(hosts));
    assertThat(b).isEqualTo(Digest.sha256(passwd));
    assertThat(objects.readAllBytes(a)).isEqualTo(hosts);
    assertThat(objects.readAllBytes(b)).isEqualTo(passwd);
    assertThat(tmpFiles()).isEmpty();
  }

  @Test
  void sameContentTwiceIsOneObject() throws IOException {
    byte[] content = "same bytes".getBytes(UTF_8);
    try (ObjectBatch batch = objects.batch()) {
      Digest first = batch.add(new ByteArrayInputStream(content), content.length);
      Digest second = batch.add(new ByteArrayInputStream(content), content.length);

      assertThat(second).isEqualTo(first);
      assertThat(batch.stagedCount()).isEqualTo(1);
      assertThat(batch.stagedBytes()).isEqualTo(content.length);
      assertThat(batch.dedupedBytes()).isEqualTo(content.length);
      batch.commit();
    }

    assertThat(objects.list(stray -> { })).containsExactly(Digest.sha256(content));
  }

  @Test
  void contentAlreadyStoredIsNotStagedAgain() throws IOException {
    byte[] content = "stored by an earlier layer".getBytes(UTF_8);
    Digest stored = objects.write(content);
    try (ObjectBatch batch = objects.batch()) {
      assertThat(batch.add(new ByteArrayInputStream(content), content.length)).isEqualTo(stored);
      assertThat(batch.stagedCount()).isZero();
      assertThat(batch.stagedBytes()).isZero();
      assertThat(batch.dedupedBytes()).isEqualTo(content.length);
      batch.commit();
    }

    assertThat(objects.readAllBytes(stored)).isEqualTo(content);
  }

  @Test
  void largeContentStreamsThroughAStagingFile() throws IOException {
    byte[] big = random(LARGE, 1);
    byte[] other = random(LARGE, 2);
    Digest digest;
    try (ObjectBatch batch = objects.batch()) {
      digest = batch.add(new ByteArrayInputStream(big), big.length);
      Digest again = batch.add(new ByteArrayInputStream(big), big.length);
      Digest second = batch.add(new ByteArrayInputStream(other), other.length);

      assertThat(again).isEqualTo(digest);
      assertThat(second).isEqualTo(Digest.sha256(other));
      assertThat(batch.stagedCount()).isEqualTo(2);
      assertThat(batch.stagedBytes()).isEqualTo(2L * LARGE);
      assertThat(batch.dedupedBytes()).isEqualTo(LARGE);
      batch.commit();
    }

    assertThat(digest).isEqualTo(Digest.sha256(big));
    assertThat(objects.readAllBytes(digest)).isEqualTo(big);
    assertThat(objects.readAllBytes(Digest.sha256(other))).isEqualTo(other);
    assertThat(objects.verify(digest)).isTrue();
    assertThat(tmpFiles()).isEmpty();
  }

  @Test
  void readsExactlySizeBytesFromALongerStream() throws IOException {
    byte[] stream = "0123456789".getBytes(UTF_8);
    ByteArrayInputStream in = new ByteArrayInputStream(stream);
    try (ObjectBatch batch = objects.batch()) {
      Digest d = batch.add(in, 4);

      assertThat(d).isEqualTo(Digest.sha256("0123".getBytes(UTF_8)));
      assertThat(in.available()).isEqualTo(6);
    }
  }

  @Test
  void emptyContentIsAnObjectToo() throws IOException {
    try (ObjectBatch batch = objects.batch()) {
      Digest d = batch.add(new ByteArrayInputStream(new byte[0]), 0);
      batch.commit();

      assertThat(d).isEqualTo(Digest.sha256(new byte[0]));
      assertThat(objects.size(d)).isZero();
    }
  }

  @Test
  void shortContentFails() throws IOException {
    try (ObjectBatch batch = objects.batch()) {
      assertThatThrownBy(() -> batch.add(new ByteArrayInputStream(new byte[10]), 11))
          .isInstanceOf(EOFException.class)
          .hasMessageContaining("after 10 of 11 bytes");
      assertThatThrownBy(() -> batch.add(new ByteArrayInputStream(new byte[100]), LARGE))
          .isInstanceOf(EOFException.class)
          .hasMessageContaining("after 100 of " + LARGE + " bytes");
    }
    assertThat(tmpFiles()).isEmpty();
  }

  @Test
  void closeWithoutCommitLeavesNothingVisible() throws IOException {
    byte[] small = "small".getBytes(UTF_8);
    byte[] big = random(LARGE, 3);
    try (ObjectBatch batch = objects.batch()) {
      batch.add(new ByteArrayInputStream(small), small.length);
      batch.add(new ByteArrayInputStream(big), big.length);
      assertThat(batch.stagedCount()).isEqualTo(2);
    }

    assertThat(objects.contains(Digest.sha256(small))).isFalse();
    assertThat(objects.contains(Digest.sha256(big))).isFalse();
    assertThat(objects.list(stray -> { })).isEmpty();
    assertThat(tmpFiles()).isEmpty();
  }

  @Test
  void emptyBatchCommits() throws IOException {
    try (ObjectBatch batch = objects.batch()) {
      batch.commit();
    }
    assertThat(objects.list(stray -> { })).isEmpty();
    assertThat(tmpFiles()).isEmpty();
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private List<Path> tmpFiles() throws IOException {
    if (!Files.isDirectory(tmp)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(tmp)) {
      return files.filter(p -> !p.equals(tmp)).toList();
    }
  }
}
