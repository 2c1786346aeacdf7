package dev.strata.build;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.image.Compression;
import dev.strata.image.json.ImageJson;
import dev.strata.layer.TarPeers;
import dev.strata.layout.Store;
import dev.strata.transfer.ImageLocation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java example of the README, compiled and run as a reader would: on a base image in an OCI
 * layout, twice (the same digest: reproducible), its archive read by skopeo.
 */
class ReadmeExampleTest {
  @TempDir Path dir;

  @Test
  void theReadmeExampleCompilesRunsAndIsReproducible() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(readme);
    assertThat(m.find()).as("a java block in README.md").isTrue();
    Path src = Files.createDirectories(dir.resolve("src"));
    Files.writeString(src.resolve("AddApp.java"), m.group(1), StandardCharsets.UTF_8);
    String classpath = System.getProperty("java.class.path");
    int compiled = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", dir.resolve("classes").toString(),
        "-cp", classpath, src.resolve("AddApp.java").toString());
    assertThat(compiled).as("javac of the README's example").isZero();

    Path layout = dir.resolve("base");
    try (ImageLocation base = ImageLocation.parse("oci:" + layout + ":base", Store.open(dir.resolve("scratch-store")))) {
      base.write(GoldenImages.twoLayers(GoldenImages.options(Compression.GZIP, dir.resolve("s"))));
    }
    Path app = Files.createDirectories(dir.resolve("app"));
    Files.writeString(app.resolve("run.sh"), "#!/bin/sh\necho app\n");

    String first = run(classpath, dir.resolve("store1"), layout, dir.resolve("app1.tar"), app);
    String second = run(classpath, dir.resolve("store2"), layout, dir.resolve("app2.tar"), app);
    assertThat(second).as("the same inputs, the same digest").isEqualTo(first).startsWith("sha256:");
    JsonNode config = ImageJson.mapper().readTree(
        TarPeers.ok(dir, "skopeo", "inspect", "--config", "oci-archive:" + dir.resolve("app1.tar") + ":app"));
    assertThat(config.get("config").get("Entrypoint").toString()).isEqualTo("[\"/app/run.sh\"]");
    assertThat(config.get("config").get("Env").toString()).contains("MODE=production");
    assertThat(Store.open(dir.resolve("store1")).tags()).containsKey("app:1");
  }

  private String run(String classpath, Path store, Path layout, Path archive, Path app) throws Exception {
    TarPeers.Output out = TarPeers.run(dir, Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        dir.resolve("classes") + ":" + classpath, "AddApp", store.toString(), "oci:" + layout + ":base",
        "oci-archive:" + archive + ":app", app.toString());
    assertThat(out.exit()).as(out.err()).isZero();
    List<String> lines = List.of(new String(out.out(), StandardCharsets.UTF_8).strip().split("\n"));
    return lines.get(lines.size() - 1);
  }
}
