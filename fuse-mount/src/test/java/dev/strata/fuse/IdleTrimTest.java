package dev.strata.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * When a mount server trims: once the heap's use has stood still a while, after enough work or
 * a resident size grown since the last trim.
 */
class IdleTrimTest {
  private static final long MB = 1 << 20;
  private static final long RSS = 90 * MB;

  @Test
  void quietAfterWorkTrimsOnceAndNotAgainUntilMoreWork() {
    IdleTrim t = new IdleTrim(10 * MB, RSS);
    assertThat(t.poll(30 * MB, RSS)).as("work").isFalse();
    assertThat(t.busy()).as("a poll that saw work (the server's mapped pages go back)").isTrue();
    for (int i = 1; i < IdleTrim.QUIET_POLLS; i++) {
      assertThat(t.poll(30 * MB, RSS)).as("quiet poll %d", i).isFalse();
      assertThat(t.busy()).isFalse();
    }
    assertThat(t.poll(30 * MB, RSS)).as("quiet for long enough").isTrue();
    t.trimmed(12 * MB, RSS);
    for (int i = 0; i < 10; i++) {
      assertThat(t.poll(12 * MB, RSS)).as("nothing happened since the trim").isFalse();
    }
    assertThat(t.poll(20 * MB, RSS)).isFalse();
    for (int i = 1; i < IdleTrim.QUIET_POLLS; i++) {
      assertThat(t.poll(20 * MB, RSS)).isFalse();
    }
    assertThat(t.poll(20 * MB, RSS)).as("new work, quiet again").isTrue();
  }

  @Test
  void workInTheQuietStartsTheWaitAgain() {
    IdleTrim t = new IdleTrim(0, RSS);
    assertThat(t.poll(8 * MB, RSS)).isFalse();
    for (int i = 1; i < IdleTrim.QUIET_POLLS; i++) {
      assertThat(t.poll(8 * MB, RSS)).isFalse();
    }
    // A collection between polls is work too: the use fell.
    assertThat(t.poll(2 * MB, RSS)).isFalse();
    for (int i = 1; i < IdleTrim.QUIET_POLLS; i++) {
      assertThat(t.poll(2 * MB, RSS)).isFalse();
    }
    assertThat(t.poll(2 * MB, RSS)).isTrue();
  }

  @Test
  void noiseAndLittleWorkAreNotWorthATrim() {
    IdleTrim t = new IdleTrim(MB, RSS);
    long used = MB;
    for (int i = 0; i < 50; i++) {
      used += IdleTrim.NOISE / 2; // a few requests a second, or the poll's own bytes
      assertThat(t.poll(used, RSS)).isFalse();
    }
    IdleTrim small = new IdleTrim(MB, RSS);
    assertThat(small.poll(MB + IdleTrim.WORTH / 2, RSS)).isFalse();
    for (int i = 0; i < 10; i++) {
      assertThat(small.poll(MB + IdleTrim.WORTH / 2, RSS)).as("quiet, but too little to win anything").isFalse();
    }
  }

  @Test
  void aResidentSizeGrownWithoutHeapWorkIsWorthATrim() {
    // The JIT compiler's arenas grow outside the heap: a walk that allocates little can leave
    // megabytes of freed compiler memory behind.
    IdleTrim t = new IdleTrim(10 * MB, RSS);
    assertThat(t.poll(10 * MB + IdleTrim.NOISE * 2, RSS)).as("a little work").isFalse();
    for (int i = 0; i < 10; i++) {
      assertThat(t.poll(10 * MB + IdleTrim.NOISE * 2, RSS + MB)).as("quiet, resident size about the same").isFalse();
    }
    assertThat(t.poll(10 * MB + IdleTrim.NOISE * 2, RSS + IdleTrim.WORTH)).as("quiet, and grown by enough").isTrue();
    t.trimmed(10 * MB, RSS + 2 * MB);
    for (int i = 0; i < 10; i++) {
      assertThat(t.poll(10 * MB, RSS + 2 * MB)).as("what the trim left is the new base").isFalse();
    }
  }
}
