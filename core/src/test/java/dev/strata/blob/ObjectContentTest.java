package dev.strata.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.digest.Digest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Positional reads of stored objects, loose or packed, without reading them whole. */
class ObjectContentTest {
  @TempDir Path dir;

  private ObjectStore open() throws IOException {
    return ObjectStore.open(dir.resolve("objects"), dir.resolve("tmp"));
  }

  private static byte[] bytes(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static Digest store(ObjectStore store, byte[]... contents) throws IOException {
    Digest last = null;
    try (ObjectBatch batch = store.batch()) {
      for (byte[] c : contents) {
        last = batch.add(new ByteArrayInputStream(c), c.length);
      }
      batch.commit();
    }
    return last;
  }

  @Test
  void packedContentReadsOnlyItsOwnRangeOfThePack() throws IOException {
    ObjectStore store = open();
    byte[] mine = bytes(3000, 2);
    store(store, bytes(1000, 1), mine, bytes(500, 3));
    Digest d = Digest.sha256(mine);
    try (ObjectContent c = store.openContent(d)) {
      assertThat(c.size()).isEqualTo(3000);
      assertThat(c.hostFile()).isEmpty();
      ByteBuffer all = ByteBuffer.allocate(5000);
      assertThat(c.read(0, all)).isEqualTo(3000);
      assertThat(Arrays.copyOf(all.array(), 3000)).isEqualTo(mine);
      ByteBuffer tail = ByteBuffer.allocate(10);
      assertThat(c.read(2995, tail)).isEqualTo(5);
      assertThat(Arrays.copyOf(tail.array(), 5)).isEqualTo(Arrays.copyOfRange(mine, 2995, 3000));
      assertThat(c.read(3000, ByteBuffer.allocate(1))).isEqualTo(-1);
      assertThat(c.read(0, ByteBuffer.allocate(0))).isZero();
    }
  }

  @Test
  void looseContentIsItsHostFile() throws IOException {
    ObjectStore store = open();
    byte[] large = bytes(ObjectStore.PACK_LIMIT + 100, 4);
    Digest d = store(store, large);
    try (ObjectContent c = store.openContent(d)) {
      assertThat(c.hostFile()).isPresent();
      assertThat(Files.readAllBytes(c.hostFile().get())).isEqualTo(large);
      ByteBuffer mid = ByteBuffer.allocate(100);
      assertThat(c.read(ObjectStore.PACK_LIMIT, mid)).isEqualTo(100);
      int at = ObjectStore.PACK_LIMIT;
      assertThat(mid.array()).isEqualTo(Arrays.copyOfRange(large, at, at + 100));
    }
  }

  @Test
  void aPackWrittenByAnotherProcessIsFound() throws IOException {
    ObjectStore mine = open();
    ObjectStore other = open();
    byte[] small = bytes(10, 5);
    Digest d = store(other, small);
    try (ObjectContent c = mine.openContent(d)) {
      ByteBuffer b = ByteBuffer.allocate(10);
      assertThat(c.read(0, b)).isEqualTo(10);
      assertThat(b.array()).isEqualTo(small);
    }
  }

  @Test
  void missingObjectsAndClosedContents() throws IOException {
    ObjectStore store = open();
    assertThatThrownBy(() -> store.openContent(Digest.sha256(new byte[] {1}))).isInstanceOf(NoSuchFileException.class);
    ObjectContent c = store.openContent(store(store, bytes(20, 6)));
    c.close();
    assertThatThrownBy(() -> c.read(0, ByteBuffer.allocate(1))).isInstanceOf(ClosedChannelException.class);
  }
}
