package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Exit codes scripts can trust: 0 done, 1 failed, 2 bad usage; --help everywhere. */
class UsageTest {
  @TempDir Path store;

  @ParameterizedTest
  @ValueSource(strings = {"pull", "push", "images", "inspect", "tag", "rmi", "gc", "fsck"})
  void everyCommandHasHelp(String command) {
    Strata.Run r = Strata.runRaw(command, "--help");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("Usage: strata " + command);
  }

  @Test
  void topLevelHelpListsTheCommands() {
    Strata.Run r = Strata.runRaw("--help");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("pull", "push", "images", "inspect", "gc", "fsck", "--store");
  }

  @Test
  void badUsageExitsTwo() {
    assertThat(Strata.runRaw().exit()).isEqualTo(2);
    assertThat(Strata.runRaw("frobnicate").exit()).isEqualTo(2);
    assertThat(Strata.run(store, "pull").exit()).isEqualTo(2);
    assertThat(Strata.run(store, "images", "--no-such-flag").exit()).isEqualTo(2);
    Strata.Run transport = Strata.run(store, "pull", "ftp://example/x");
    assertThat(transport.exit()).isEqualTo(2);
    assertThat(transport.err()).contains("unknown transport");
    assertThat(Strata.run(store, "pull", "oci:/tmp/x", "bad name!").exit()).isEqualTo(2);
    assertThat(Strata.run(store, "pull", "--max-layer-size", "lots", "oci:/tmp/x").exit()).isEqualTo(2);
  }

  @Test
  void failureExitsOne() {
    Strata.Run r = Strata.run(store, "inspect", "no-such-image");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("strata: error: no image named 'no-such-image' in the store " + store + "\n");
  }
}
