package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.image.json.ImageJson;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * strata volume commit, log, reset, branch and checkout: their output and exit codes, and a
 * commit and a reset killed with SIGKILL in the middle leaving the volume at its old state.
 */
class VolumeVersionsCommandTest {
  @TempDir Path store;
  @TempDir Path work;

  @Test
  void commitLogResetBranchAndCheckout() throws Exception {
    String first = created("table", "v1", "first rows");
    Path data = store.resolve("volumes/db/data");
    assertThat(first).matches("[0-9a-f]{64}");
    Files.writeString(data.resolve("table"), "v2");
    String second = Strata.run(store, "volume", "commit", "db", "--message", "second rows").assertOk().out().strip();

    assertThat(Strata.run(store, "volume", "log", "db").assertOk().out())
        .containsPattern("SNAPSHOT +CREATED +MESSAGE\n" + second.substring(0, 12) + " .* second rows\n"
            + first.substring(0, 12) + " .* first rows\n");
    JsonNode log = ImageJson.mapper().readTree(Strata.run(store, "volume", "log", "db", "--json").assertOk().out());
    assertThat(log).hasSize(2);
    assertThat(log.get(0).get("id").asText()).isEqualTo(second);
    assertThat(log.get(0).get("parent").asText()).isEqualTo(first);
    assertThat(log.get(1).get("parent").isNull()).isTrue();
    assertThat(log.get(0).get("blob").asText()).startsWith("sha256:");

    assertThat(Strata.run(store, "volume", "reset", "db", first.substring(0, 8)).assertOk().out()).isEqualTo(first + "\n");
    assertThat(data.resolve("table")).hasContent("v1");

    assertThat(Strata.run(store, "volume", "branch", "db", "old", first).assertOk().out()).isEqualTo("old\n");
    assertThat(Strata.run(store, "volume", "reset", "db", second).assertOk().out()).isEqualTo(second + "\n");
    assertThat(Strata.run(store, "volume", "branch", "db").assertOk().out())
        .isEqualTo("* main " + second.substring(0, 12) + "\n  old " + first.substring(0, 12) + "\n");
    assertThat(Strata.run(store, "volume", "checkout", "db", "old").assertOk().out()).isEqualTo("old\n");
    assertThat(data.resolve("table")).hasContent("v1");
    assertThat(Strata.run(store, "volume", "branch", "db").assertOk().out()).startsWith("  main").contains("* old");
  }

  @Test
  void exitCodesSayWhatWentWrong() throws Exception {
    Strata.run(store, "volume", "create", "db").assertOk();
    assertThat(Strata.run(store, "volume", "branch", "db").assertOk().out()).isEqualTo("* main (no snapshot)\n");
    Strata.Run none = Strata.run(store, "volume", "branch", "db", "b");
    assertThat(none.exit()).isEqualTo(1);
    assertThat(none.err()).contains("no snapshot to branch from");
    Files.writeString(store.resolve("volumes/db/data/f"), "x");
    Strata.run(store, "volume", "commit", "db").assertOk();
    Strata.Run empty = Strata.run(store, "volume", "commit", "db");
    assertThat(empty.exit()).isEqualTo(1);
    assertThat(empty.err()).contains("nothing to commit");
    assertThat(Strata.run(store, "volume", "commit", "nope").exit()).isEqualTo(2);
    assertThat(Strata.run(store, "volume", "reset", "db", "abcdef").exit()).isEqualTo(2);
    assertThat(Strata.run(store, "volume", "reset", "db").exit()).isEqualTo(2);
    assertThat(Strata.run(store, "volume", "checkout", "db", "nope").exit()).isEqualTo(2);
    assertThat(Strata.run(store, "volume", "branch", "db", ".hidden").exit()).isEqualTo(2);
    Strata.run(store, "volume", "branch", "db", "b").assertOk();
    assertThat(Strata.run(store, "volume", "branch", "db", "b").exit()).isEqualTo(1);

    Files.writeString(store.resolve("volumes/db/data/f"), "changed");
    Strata.Run dirty = Strata.run(store, "volume", "checkout", "db", "b");
    assertThat(dirty.exit()).isEqualTo(1);
    assertThat(dirty.err()).contains("has changes since snapshot").contains("--force");
    Strata.run(store, "volume", "checkout", "--force", "db", "b").assertOk();
    assertThat(store.resolve("volumes/db/data/f")).hasContent("x");
  }

  @Test
  void killNineInTheMiddleOfACommitLeavesTheOldState() throws Exception {
    String before = created("small", "before", "before");
    Path data = store.resolve("volumes/db/data");
    writeRandom(data.resolve("big"));
    // The blob grows as the commit reads: killed while it writes it.
    StrataProcess.killWhenStaged(store, work.resolve("log"), p -> p.getFileName().toString().startsWith("layer-"), "volume", "commit", "db", "-m", "killed");

    // The old state: the branch at the snapshot before, which restores; the big file still uncommitted.
    JsonNode log = ImageJson.mapper().readTree(Strata.run(store, "volume", "log", "db", "--json").assertOk().out());
    assertThat(log).hasSize(1);
    assertThat(log.get(0).get("id").asText()).isEqualTo(before);
    Strata.run(store, "volume", "reset", "db", before).assertOk();
    assertThat(data.resolve("big")).doesNotExist();
    assertThat(data.resolve("small")).hasContent("before");
    Strata.run(store, "gc").assertOk(); // the dead commit's staging and anything it stored go
    Strata.run(store, "volume", "reset", "db", before).assertOk();
  }

  @Test
  void killNineInTheMiddleOfAResetLeavesTheOldDataAndBranch() throws Exception {
    String before = created("small", "before", "before");
    Path data = store.resolve("volumes/db/data");
    byte[] big = writeRandom(data.resolve("big"));
    String withBig = Strata.run(store, "volume", "commit", "db", "-m", "big").assertOk().out().strip();
    Strata.run(store, "volume", "reset", "db", before).assertOk();

    // Killed while it unpacks the snapshot's tree in staging.
    StrataProcess.killWhenStaged(store, work.resolve("log"), p -> p.toString().contains("/volume-data-"), "volume", "reset", "db", withBig);
    assertThat(data.resolve("big")).doesNotExist();
    assertThat(data.resolve("small")).hasContent("before");
    JsonNode log = ImageJson.mapper().readTree(Strata.run(store, "volume", "log", "db", "--json").assertOk().out());
    assertThat(log).hasSize(1);
    assertThat(log.get(0).get("id").asText()).isEqualTo(before);

    Strata.run(store, "volume", "reset", "db", withBig).assertOk();
    assertThat(Files.readAllBytes(data.resolve("big"))).isEqualTo(big);
    assertThat(StrataProcess.stagedBytes(store.resolve("tmp"), p -> true)).as("the dead reset's staging is swept").isZero();
  }

  /** Writes 256 MiB of random bytes (no compression shrinks them: a second or so to store) to {@code file}. */
  private static byte[] writeRandom(Path file) throws Exception {
    java.util.Random random = new java.util.Random(14);
    byte[] bytes = new byte[256 << 20];
    random.nextBytes(bytes);
    Files.write(file, bytes);
    return bytes;
  }

  /** Creates volume db holding {@code file} with {@code content}, commits it; returns the snapshot's id. */
  private String created(String file, String content, String message) throws Exception {
    Strata.run(store, "volume", "create", "db").assertOk();
    Files.writeString(store.resolve("volumes/db/data").resolve(file), content);
    return Strata.run(store, "volume", "commit", "db", "-m", message).assertOk().out().strip();
  }
}
