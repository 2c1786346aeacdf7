package dev.strata.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code strata build} promises besides building what buildah builds: a bad Containerfile
 * names its line and exits 2; a failing step is named and tags nothing; a copy from outside the
 * context is refused; the cache reuses a step whose inputs are the same (a touched file is the
 * same) and runs again from the step whose file changed; and {@code --timestamp} makes the same
 * digest in two stores.
 */
class BuildCommandTest {
  @TempDir Path dir;
  private Path store;
  private Path context;

  @BeforeEach
  void setUp() throws Exception {
    store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "localhost/tiny").assertOk();
    context = Files.createDirectories(dir.resolve("context"));
  }

  private Strata.Run build(Path in, String tag, String... more) {
    String[] args = new String[4 + more.length + 1];
    args[0] = "build";
    args[1] = "-t";
    args[2] = tag;
    args[3] = "--network=none";
    System.arraycopy(more, 0, args, 4, more.length);
    args[args.length - 1] = context.toString();
    return Strata.run(in, args);
  }

  private void containerfile(String text) throws Exception {
    Files.writeString(context.resolve("Containerfile"), text, UTF_8);
  }

  @Test
  void aBadContainerfileNamesItsLineAndExits2() throws Exception {
    containerfile("FROM localhost/tiny\nRUN true\n\nCOPPY a b\n");
    Strata.Run r = build(store, "bad");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("Containerfile:4: unknown instruction 'COPPY'");
    containerfile("RUN true\nFROM localhost/tiny\n");
    r = build(store, "bad");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("Containerfile:1: RUN before the first FROM");
  }

  @Test
  void aFailingStepIsNamedAndNothingIsTagged() throws Exception {
    containerfile("FROM localhost/tiny\nRUN echo one > /one\nRUN exit 3\nRUN echo never\n");
    Strata.Run r = build(store, "failed");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("Containerfile:3 RUN exit 3: the command exited with 3");
    assertThat(r.out()).doesNotContain("echo never");
    assertThat(Strata.run(store, "images").assertOk().out()).doesNotContain("failed");
  }

  @Test
  void aCopyFromOutsideTheContextIsRefused() throws Exception {
    Files.writeString(dir.resolve("secret"), "secret\n");
    Files.createSymbolicLink(context.resolve("link"), dir.resolve("secret"));
    containerfile("FROM localhost/tiny\nCOPY ../secret /s\n");
    Strata.Run r = build(store, "outside");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("Containerfile:2: COPY source '../secret' is outside the build context");
    containerfile("FROM localhost/tiny\nCOPY link /s\n");
    r = build(store, "outside");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("Containerfile:2: COPY source 'link' leads outside the build context");
  }

  @Test
  void theCacheSeesContentNotTimes() throws Exception {
    Files.writeString(context.resolve("a.txt"), "a\n");
    Files.writeString(context.resolve("b.txt"), "b\n");
    containerfile("FROM localhost/tiny\nCOPY a.txt /a.txt\nRUN cat /a.txt > /a.copy\nCOPY b.txt /b.txt\n");
    Strata.Run first = build(store, "cached").assertOk();
    assertThat(first.out()).doesNotContain("Using cache");

    Files.setLastModifiedTime(context.resolve("a.txt"), FileTime.from(Instant.parse("2001-01-01T00:00:00Z")));
    Strata.Run touched = build(store, "cached").assertOk();
    assertThat(touched.out().split("Using cache", -1)).as("every step from the cache").hasSize(4);
    assertThat(digest(touched)).isEqualTo(digest(first));

    Files.writeString(context.resolve("b.txt"), "b changed\n");
    Strata.Run changed = build(store, "cached").assertOk();
    assertThat(changed.out().split("Using cache", -1)).as("the steps before the changed file's").hasSize(3);
    assertThat(digest(changed)).isNotEqualTo(digest(first));

    Strata.Run uncached = build(store, "cached", "--no-cache").assertOk();
    assertThat(uncached.out()).doesNotContain("Using cache");
  }

  @Test
  void aTimestampGivesTheSameDigestInTwoStores() throws Exception {
    Files.writeString(context.resolve("a.txt"), "a\n");
    containerfile("FROM localhost/tiny\nCOPY a.txt /a.txt\nRUN echo $RANDOM > /random-name-$$ ; rm /random-name-*; "
        + "echo made > /made\nENV X=1\n");
    Strata.Run one = build(store, "stamped", "--timestamp", "1700000000").assertOk();
    Path other = dir.resolve("other-store");
    Strata.run(other, "pull", "oci:" + TestImages.tiny() + ":3layer", "localhost/tiny").assertOk();
    Files.setLastModifiedTime(context.resolve("a.txt"), FileTime.from(Instant.parse("2011-01-01T00:00:00Z")));
    Strata.Run two = build(other, "stamped", "--timestamp", "1700000000").assertOk();
    assertThat(two.out()).doesNotContain("Using cache");
    assertThat(digest(two)).isEqualTo(digest(one));
  }

  /**
   * SHELL applies to the shell form of RUN, CMD and ENTRYPOINT, as Docker documents it and its
   * builders do (buildah 1.28 uses it for RUN only, a known deviation: openshift/imagebuilder
   * issue 154), and in both formats.
   */
  @Test
  void shellFormUsesTheShellInstruction() throws Exception {
    containerfile("FROM localhost/tiny\nSHELL [\"/bin/sh\", \"-ec\"]\nRUN test \"$-\" != \"${-#*e}\"\n"
        + "CMD echo hi\nENTRYPOINT exec /bin/sh\n");
    build(store, "shelled").assertOk();
    byte[] raw = dev.strata.layout.StoredImage.load(dev.strata.layout.Store.open(store), "shelled").configBytes();
    var config = dev.strata.image.json.ImageJson.mapper().readTree(raw).get("config");
    assertThat(config.get("Entrypoint").toString()).isEqualTo("[\"/bin/sh\",\"-ec\",\"exec /bin/sh\"]");
    assertThat(config.get("Cmd").toString()).as("set in the stage, before ENTRYPOINT: kept")
        .isEqualTo("[\"/bin/sh\",\"-ec\",\"echo hi\"]");
  }

  /** The manifest digest a build printed last. */
  private static String digest(Strata.Run r) {
    String[] lines = r.out().strip().split("\n");
    return lines[lines.length - 1];
  }
}
