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

  static java.util.stream.Stream<String> commands() {
    return StrataCommand.COMMANDS.keySet().stream();
  }

  /** Every command runs from a command line built for it alone, as {@code Main} builds one. */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.MethodSource("commands")
  void everyCommandHasHelp(String command) {
    Strata.Run r = Strata.runRaw("--store", store.toString(), command, "--help");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("Usage: strata " + command);
    assertThat(Main.commandLine("--store", store.toString(), command).getSubcommands()).containsOnlyKeys(
        java.util.stream.Stream.concat(java.util.stream.Stream.of(command), StrataCommand.ALIASES.entrySet().stream()
            .filter(a -> a.getValue().equals(command)).map(java.util.Map.Entry::getKey)).toArray(String[]::new));
  }

  @ParameterizedTest
  @ValueSource(strings = {"ps", "unmount"})
  void aliasesFindTheirCommand(String alias) {
    Strata.Run r = Strata.runRaw(alias, "--help");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("Usage: strata " + StrataCommand.ALIASES.get(alias));
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
