package dev.strata.layer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Sparse maps every reader rebuilds alike, and the ones they rebuild apart. */
class SparseMapsTest {
  @Test
  void mapsAsGnuTarWritesThemAreTaken() {
    assertThat(SparseMaps.problem(List.of(), 0)).isNull();
    assertThat(SparseMaps.problem(List.of(new long[] {0, 1024}, new long[] {4096, 7}), 4103)).isNull();
    // A file that ends in a hole: GNU tar closes the map with an empty piece at the end.
    assertThat(SparseMaps.problem(List.of(new long[] {512, 512}, new long[] {8192, 0}), 8192)).isNull();
    // An old GNU header's unused slots.
    assertThat(SparseMaps.problem(List.of(new long[] {4096, 7}, new long[] {0, 0}, new long[] {0, 0}), 4103)).isNull();
  }

  @Test
  void mapsReadersRebuildApartAreRefused() {
    assertThat(SparseMaps.problem(List.of(new long[] {0, 5}, new long[] {15, 5}), 20))
        .startsWith("piece 1 holds 5 bytes, not whole 512-byte blocks");
    assertThat(SparseMaps.problem(List.of(new long[] {1024, 512}, new long[] {0, 512}), 1536))
        .startsWith("piece 2 starts at 0, before the end of the piece before it (1536)");
    assertThat(SparseMaps.problem(List.of(new long[] {0, 512}), 100)).isEqualTo("its pieces end at 512, past the"
        + " file's 100 bytes");
    assertThat(SparseMaps.problem(List.of(new long[] {Long.MAX_VALUE, 512}), Long.MAX_VALUE))
        .isEqualTo("piece 1 ends past 2^63");
  }
}
