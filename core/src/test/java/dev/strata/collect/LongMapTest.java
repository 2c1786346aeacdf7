package dev.strata.collect;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LongMapTest {
  /**
   * Random puts and removes, on keys that collide in few slots and on spread ones, checked
   * against HashMap after every step: a deletion that left a probe chain broken shows as a key
   * that is there and is not found.
   */
  @Test
  void agreesWithHashMapThroughGrowthAndShrinking() {
    for (long spread : new long[] {1, 1L << 40, 7}) {
      Random random = new Random(spread);
      LongMap<String> map = new LongMap<>();
      Map<Long, String> expected = new HashMap<>();
      for (int step = 0; step < 200_000; step++) {
        // Grow to about 20,000 keys, then empty out, so both resizes run.
        boolean growing = step < 100_000;
        long key = (random.nextInt(40_000) - 100) * spread;
        int op = random.nextInt(10);
        if (op < (growing ? 6 : 2)) {
          String v = "v" + step;
          assertThat(map.put(key, v)).isEqualTo(expected.put(key, v));
        } else if (op < 9) {
          assertThat(map.remove(key)).isEqualTo(expected.remove(key));
        } else {
          assertThat(map.get(key)).isEqualTo(expected.get(key));
        }
        assertThat(map.size()).isEqualTo(expected.size());
      }
      for (Map.Entry<Long, String> e : expected.entrySet()) {
        assertThat(map.get(e.getKey())).isEqualTo(e.getValue());
      }
      assertThat(map.values()).containsExactlyInAnyOrderElementsOf(expected.values());
    }
  }

  @Test
  void removeWithValueRemovesOnlyThatValue() {
    LongMap<String> map = new LongMap<>();
    String a = new String("a");
    map.put(0, a);
    assertThat(map.remove(0, new String("a"))).isFalse();
    assertThat(map.get(0)).isSameAs(a);
    assertThat(map.remove(0, a)).isTrue();
    assertThat(map.get(0)).isNull();
    assertThat(map.size()).isZero();
  }

  @Test
  void shrinksOnceEmptied() throws Exception {
    LongMap<Long> map = new LongMap<>();
    for (long k = 0; k < 100_000; k++) {
      map.put(k, k);
    }
    for (long k = 0; k < 100_000; k++) {
      assertThat(map.remove(k)).isEqualTo(k);
    }
    java.lang.reflect.Field keys = LongMap.class.getDeclaredField("keys");
    keys.setAccessible(true);
    assertThat(((long[]) keys.get(map)).length).isLessThanOrEqualTo(32);
  }
}
