package dev.strata.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When a mount server trims: after enough work, once the heap's use has stood still a while. */
class IdleTrimTest {
  private static final long MB = 1 << 20;

  @Test
  void quietAfterWorkTrimsOnceAndNotAgainUntilMoreWork() {
    IdleTrim t = new IdleTrim(10 * MB);
    assertThat(t.poll(30 * MB)).as("work").isFalse();
    for (int i = 1; i < IdleTrim.QUIET_POLLS; i++) {
      assertThat(t.poll(30 * MB)).as("quiet poll %d", i).isFalse();
    }
    assertThat(t.poll(30 * MB)).as("quiet for long enough").isTrue();
    t.trimmed(12 * MB);
    for (int i = 0; i < 10; i++) {
      assertThat(t.poll(12 * MB)).as("nothing happened since the trim").isFalse();
    }
    assertThat(t.poll(20 * MB)).isFalse();
    for (int i = 1; i < IdleTrim.QUIET_POLLS; i++) {
      assertThat(t.poll(20 * MB)).isFalse();
    }
    assertThat(t.poll(20 * MB)).as("new work, quiet again").isTrue();
  }

  @Test
  void workInTheQuietStartsTheWaitAgain() {
    IdleTrim t = new IdleTrim(0);
    assertThat(t.poll(8 * MB)).isFalse();
    for (int i = 1; i < IdleTrim.QUIET_POLLS; i++) {
      assertThat(t.poll(8 * MB)).isFalse();
    }
    // A collection between polls is work too: the use fell.
    assertThat(t.poll(2 * MB)).isFalse();
    for (int i = 1; i < IdleTrim.QUIET_POLLS; i++) {
      assertThat(t.poll(2 * MB)).isFalse();
    }
    assertThat(t.poll(2 * MB)).isTrue();
  }

  @Test
  void noiseAndLittleWorkAreNotWorthATrim() {
    IdleTrim t = new IdleTrim(MB);
    long used = MB;
    for (int i = 0; i < 50; i++) {
      used += IdleTrim.NOISE / 2; // a few requests a second, or the poll's own bytes
      assertThat(t.poll(used)).isFalse();
    }
    IdleTrim small = new IdleTrim(MB);
    assertThat(small.poll(MB + IdleTrim.WORTH / 2)).isFalse();
    for (int i = 0; i < 10; i++) {
      assertThat(small.poll(MB + IdleTrim.WORTH / 2)).as("quiet, but too little to win anything").isFalse();
    }
  }
}
