package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.host.TestUser;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code strata build} by an ordinary user with no locale (env -i): it runs again as root of a
 * user namespace of its own, its RUN steps in containers there, and the image it writes holds
 * the owners the build gave (root's, a subordinate id's as the image's id, --chown's), as a
 * root build's would; the second build is every step from the cache.
 */
@org.junit.jupiter.api.extension.ExtendWith(OrdinaryUser.OpenFuse.class)
class RootlessBuildTest {
  private static final String USER = OrdinaryUser.NAME;

  @TempDir Path dir;
  private Commands.Result asUser(String classpath, Path store, String... args) throws Exception {
    return OrdinaryUser.strata(classpath, store, args);
  }

  @Test
  void anOrdinaryUserBuildsWithRunStepsAndOwnersAsRootWould() throws Exception {
    TestUser.ensure(USER);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    String classpath = TestUser.readableClasspath(dir);
    Path work = Files.createDirectories(dir.resolve("work"));
    Commands.run(List.of("cp", "-a", TestImages.tiny().toString(), work.resolve("tiny").toString()));
    Path context = Files.createDirectories(work.resolve("context"));
    Files.writeString(context.resolve("app.conf"), "conf\n");
    Files.writeString(context.resolve("Containerfile"), """
        FROM tiny
        RUN id -u > /built-by && echo owned > /owned && chown 1:2 /owned
        COPY --chown=5:6 app.conf /etc/app.conf
        RUN test "$(stat -c %u:%g /etc/app.conf)" = 5:6
        """);
    Commands.run(List.of("chown", "-R", USER, work.toString()));
    Path store = work.resolve("store");
    Commands.Result pull = asUser(classpath, store, "pull", "oci:" + work.resolve("tiny") + ":3layer", "tiny");
    assertThat(pull.exit()).as(pull.out() + pull.err()).isZero();

    Commands.Result build = asUser(classpath, store, "build", "-t", "built", context.toString());
    assertThat(build.exit()).as(build.out() + build.err()).isZero();
    assertThat(build.out()).contains("STEP 4/4").doesNotContain("Using cache");

    var layers = StoredImage.load(Store.open(store), "built").manifest().layers();
    assertThat(layers).hasSizeGreaterThanOrEqualTo(3);
    String run = listing(store, layers.get(layers.size() - 3).digest().toString());
    assertThat(run).containsPattern("(?m)^-rw-r--r-- 0/0 .* built-by$").containsPattern("(?m)^-rw-r--r-- 1/2 .* owned$");
    assertThat(listing(store, layers.get(layers.size() - 2).digest().toString()))
        .containsPattern("(?m)^-rw-r--r-- 5/6 .* etc/app.conf$");
    Path unpacked = Files.createDirectories(work.resolve("unpacked"));
    Commands.run(List.of("tar", "-xzf", blob(store, layers.get(layers.size() - 3).digest().toString()).toString(),
        "-C", unpacked.toString()));
    assertThat(Files.readString(unpacked.resolve("built-by"))).isEqualTo("0\n");

    Commands.Result again = asUser(classpath, store, "build", "-t", "built", context.toString());
    assertThat(again.exit()).as(again.out() + again.err()).isZero();
    assertThat(again.out().lines().filter(l -> l.startsWith("--> Using cache"))).hasSize(3);
  }

  private static Path blob(Path store, String digest) {
    return store.resolve("blobs").resolve(digest.replace(':', '/'));
  }

  private static String listing(Path store, String digest) throws Exception {
    return Commands.run(List.of("tar", "--numeric-owner", "-tvzf", blob(store, digest).toString()));
  }
}
