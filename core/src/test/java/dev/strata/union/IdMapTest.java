package dev.strata.union;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Ids through a map of ranges, both ways, and the maps it refuses. */
class IdMapTest {
  /** A rootless container's: its root is the user (1000), its other ids a subordinate range. */
  private static final IdMap ROOTLESS = IdMap.parse("0:1000:1:1:100000:65536");

  @Test
  void storedIdsShowShiftedAndComeBack() {
    assertThat(ROOTLESS.shown(0)).isEqualTo(1000);
    assertThat(ROOTLESS.shown(1)).isEqualTo(100000);
    assertThat(ROOTLESS.shown(65536)).isEqualTo(165535);
    assertThat(ROOTLESS.stored(1000)).isEqualTo(OptionalLong.of(0));
    assertThat(ROOTLESS.stored(100000)).isEqualTo(OptionalLong.of(1));
    assertThat(ROOTLESS.stored(165535)).isEqualTo(OptionalLong.of(65536));
  }

  @Test
  void idsOutsideTheRangesShowAsTheOverflowIdAndHaveNoStoredId() {
    assertThat(ROOTLESS.shown(65537)).isEqualTo(IdMap.OVERFLOW_ID);
    assertThat(ROOTLESS.shown(4_000_000_000L)).isEqualTo(IdMap.OVERFLOW_ID);
    assertThat(ROOTLESS.stored(0)).isEmpty();
    assertThat(ROOTLESS.stored(999)).isEmpty();
    assertThat(ROOTLESS.stored(165536)).isEmpty();
    assertThat(ROOTLESS.mapsStored(65536)).isTrue();
    assertThat(ROOTLESS.mapsStored(65537)).isFalse();
  }

  @Test
  void theIdentityMapsEveryIdToItself() {
    assertThat(IdMap.IDENTITY.isIdentity()).isTrue();
    assertThat(IdMap.IDENTITY.shown(123456)).isEqualTo(123456);
    assertThat(IdMap.IDENTITY.stored(0)).isEqualTo(OptionalLong.of(0));
    assertThat(ROOTLESS.isIdentity()).isFalse();
  }

  @Test
  void theTextFormIsFuseOverlayfsMappingValue() {
    assertThat(ROOTLESS.toString()).isEqualTo("0:1000:1:1:100000:65536");
    assertThat(IdMap.parse(ROOTLESS.toString())).isEqualTo(ROOTLESS);
    assertThat(ROOTLESS.ranges()).containsExactly(new IdMap.Range(0, 1000, 1), new IdMap.Range(1, 100000, 65536));
    // containers/storage's spelling: a colon before the first range, which fuse-overlayfs skips
    assertThat(IdMap.parse(":0:1000:1:1:100000:65536")).isEqualTo(ROOTLESS);
  }

  @Test
  void badMapsAreRefusedNamingTheValueAndTheFault() {
    assertThatThrownBy(() -> IdMap.parse(":")).hasMessageContaining("STORED:SHOWN:LENGTH");
    assertThatThrownBy(() -> IdMap.parse("0:100000")).hasMessageContaining("'0:100000'")
        .hasMessageContaining("STORED:SHOWN:LENGTH");
    assertThatThrownBy(() -> IdMap.parse("0:x:5")).hasMessageContaining("'0:x:5' is not three numbers");
    assertThatThrownBy(() -> IdMap.parse("0:100000:0")).hasMessageContaining("at least one");
    assertThatThrownBy(() -> IdMap.parse("0:4294967295:1")).hasMessageContaining("ids run from 0 to 4294967294");
    assertThatThrownBy(() -> IdMap.parse("0:100000:10:5:200000:10"))
        .hasMessageContaining("'0:100000:10:5:200000:10'").hasMessageContaining("overlap");
    assertThatThrownBy(() -> IdMap.parse("0:100000:10:10:100005:10")).hasMessageContaining("overlap");
    assertThatThrownBy(() -> IdMap.of(List.of())).hasMessageContaining("at least one range");
  }
}
