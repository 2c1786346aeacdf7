package dev.strata.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.image.json.ImageJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code strata build} held to buildah: Debian's buildah (kernel overlayfs, {@code bud --layers})
 * builds the same Containerfiles from the same context, and the two images must hold the same
 * files ({@code strata diff}: types, contents, modes, owners, link targets, devices; not times)
 * and agree on what a container of them runs: Entrypoint, Cmd, Env, WorkingDir, User, Labels,
 * ExposedPorts, Volumes and StopSignal. The corpus covers every instruction, multi-stage builds,
 * deletions of the base's files, replaced directories, hard links, special files, ignore files
 * and ADD of archives.
 */
class BuildOracleTest {
  private static Path dir;
  private static Path store;
  private static Path buildahRoot;
  private static Path base;

  @BeforeAll
  static void setUp() throws Exception {
    dir = Files.createTempDirectory("strata-build-oracle-");
    store = dir.resolve("store");
    buildahRoot = Files.createDirectories(dir.resolve("buildah"));
    // buildah names an image pulled from oci:DIR after DIR, and refuses a path with a component
    // that starts with a dot (the test images' .cache): it pulls a copy.
    base = dir.resolve("tiny");
    Commands.run(List.of("cp", "-r", TestImages.tiny().toString(), base.toString()));
    String id = Commands.run(buildah("pull", "-q", "oci:" + base + ":3layer")).trim();
    Commands.run(buildah("tag", id, "localhost/tiny"));
    Strata.run(store, "pull", "oci:" + base + ":3layer", "localhost/tiny").assertOk();
  }

  @AfterAll
  static void tearDown() throws Exception {
    Commands.exec(List.of("buildah", "--root", buildahRoot.resolve("root").toString(), "--runroot",
        buildahRoot.resolve("run").toString(), "rm", "--all"), Map.of());
    Commands.exec(List.of("umount", "-R", buildahRoot.resolve("root/overlay").toString()), Map.of());
    Commands.exec(List.of("rm", "-rf", dir.toString()), Map.of());
  }

  /**
   * A Containerfile and its context: files by path (a value ending in "@755" gets that mode),
   * build args, and the image format both tools build (buildah ignores SHELL in the OCI format,
   * which has no field for it; Docker's builders and strata honour it in both).
   */
  record Case(String name, String containerfile, Map<String, String> files, List<String> args, String format) {
    Case(String name, String containerfile, Map<String, String> files, List<String> args) {
      this(name, containerfile, files, args, "oci");
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> corpus() {
    return Stream.of(
        new Case("every-config-instruction", """
            # syntax=docker/dockerfile:1
            ARG BASE
            FROM $BASE
            LABEL org.example.title="oracle" \\
                  org.example.kind=test
            ENV GREETING="hello world" \\
                PATH=/usr/local/bin:/usr/bin:/bin
            ENV LEGACY value with spaces
            EXPOSE 8080 53/udp
            VOLUME ["/data", "/cache"]
            VOLUME /logs
            WORKDIR /srv/app
            WORKDIR sub
            USER 1000:1000
            STOPSIGNAL SIGTERM
            ENTRYPOINT ["/bin/sh", "-c"]
            CMD ["echo $GREETING"]
            """, Map.of(), List.of()),
        new Case("copy-and-run", """
            ARG BASE
            FROM $BASE
            COPY app/ /srv/app/
            COPY --chmod=0640 --chown=12:34 conf.txt /etc/app.conf
            COPY run.sh notes.txt /usr/local/bin/
            COPY conf.txt /tmp/staged.txt
            RUN cat /tmp/staged.txt > /from-tmp && rm /tmp/staged.txt
            RUN mkdir -p /var/lib/made && echo made > /var/lib/made/file && chmod 4755 /var/lib/made/file \\
                && ln /var/lib/made/file /var/lib/made/hard && ln -s file /var/lib/made/soft && mkfifo /var/lib/made/fifo
            RUN rm -rf /etc/motd /usr/share && rm -r /srv/app/deep && mkdir /srv/app/deep && echo new > /srv/app/deep/x
            RUN ["/bin/sh", "-c", "echo exec-form > /exec"]
            """, Map.of("app/run@755", "#!/bin/sh\necho run\n", "app/deep/old", "old\n", "app/data.txt", "data\n",
                "conf.txt", "k=v\n", "run.sh@755", "#!/bin/sh\n", "notes.txt", "notes\n"), List.of()),
        new Case("multi-stage", """
            ARG BASE
            ARG FLAVOR=plain
            FROM $BASE AS build
            ARG FLAVOR
            RUN mkdir /out && echo "flavor=$FLAVOR" > /out/flavor && echo built > /out/artifact
            FROM $BASE AS unused
            RUN echo never > /never
            FROM $BASE
            COPY --from=build /out /app
            COPY --from=build /out/artifact /usr/local/bin/
            """, Map.of(), List.of("FLAVOR=spicy")),
        new Case("ignore-file", """
            ARG BASE
            FROM $BASE
            COPY . /ctx/
            """, Map.of(".dockerignore", "*.log\nsecret/\n!secret/keep.txt\n**/tmp\nContainerfile\n",
                "a.txt", "a\n", "b.log", "log\n", "secret/key", "key\n", "secret/keep.txt", "keep\n",
                "dir/tmp/x", "x\n", "dir/ok", "ok\n"), List.of()),
        new Case("shell-and-entrypoint", """
            ARG BASE
            FROM $BASE
            SHELL ["/bin/sh", "-ec"]
            RUN echo "shell form under SHELL" > /shell.txt; test -f /shell.txt
            HEALTHCHECK --interval=30s --timeout=3s CMD true
            ENTRYPOINT ["/bin/sh"]
            """, Map.of(), List.of(), "docker"),
        new Case("add-archive", """
            ARG BASE
            FROM $BASE
            ADD bundle.tar.gz /opt/
            ADD plain.txt /opt/plain.txt
            """, Map.of("plain.txt", "plain\n"), List.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpus")
  void buildahBuildsTheSameImage(Case c) throws Exception {
    Path context = context(c);
    List<String> args = new ArrayList<>(List.of("BASE=localhost/tiny"));
    args.addAll(c.args());

    List<String> strata = new ArrayList<>(List.of("build", "--format", c.format(), "-t", "strata-" + c.name(), "-f",
        context.resolve("Containerfile").toString()));
    args.forEach(a -> strata.addAll(List.of("--build-arg", a)));
    strata.add(context.toString());
    Strata.Run built = Strata.run(store, strata.toArray(String[]::new));
    built.assertOk();

    List<String> bud = buildah("bud", "--layers", "--isolation", "oci", "--network", "none", "--format", c.format(),
        "-q", "-t", "buildah-" + c.name(), "-f", context.resolve("Containerfile").toString());
    args.forEach(a -> bud.addAll(List.of("--build-arg", a)));
    bud.add(context.toString());
    Commands.run(bud);
    Path layout = dir.resolve("oci-" + c.name());
    Commands.run(buildah("push", "buildah-" + c.name(), "oci:" + layout + ":x"));
    Strata.run(store, "pull", "oci:" + layout + ":x", "buildah-" + c.name()).assertOk();

    Strata.Run diff = Strata.run(store, "diff", "buildah-" + c.name(), "strata-" + c.name());
    diff.assertOk();
    String out = diff.out();
    if (c.containerfile().contains("RUN") && out.startsWith("D /run\n")) {
      // buildah's RUN bind-mounts /run/.containerenv and leaves the empty /run it made for it in
      // the layer; Docker's builders and strata's add nothing the command did not make.
      assertThat(Strata.run(store, "tree", "buildah-" + c.name(), "/run").assertOk().out().lines().count())
          .as("buildah's /run holds nothing").isEqualTo(2);
      out = out.substring("D /run\n".length()).replaceFirst("0 added, 0 changed, 1 deleted", "0 added, 0 changed, 0 deleted");
    }
    assertThat(out).as("strata diff of buildah's image and strata's").isEqualTo("0 added, 0 changed, 0 deleted\n");
    assertThat(config("strata-" + c.name())).isEqualTo(config("buildah-" + c.name()));
    assertThat(history("strata-" + c.name())).isEqualTo(history("buildah-" + c.name()));
  }

  /**
   * Each history entry's created_by and whether it made a layer. The digest naming what a COPY
   * or ADD copied is each tool's own (buildah hashes its tar of the sources), so only its kind
   * (dir, file, multi) is compared.
   */
  private List<String> history(String image) throws Exception {
    byte[] raw = dev.strata.layout.StoredImage.load(dev.strata.layout.Store.open(store), image).configBytes();
    List<String> out = new ArrayList<>();
    for (JsonNode h : ImageJson.mapper().readTree(raw).get("history")) {
      out.add(h.path("created_by").asText().replaceAll("\\b(dir|file|multi):[0-9a-f]{64}\\b", "$1:*")
          + (h.path("empty_layer").asBoolean() ? " (empty)" : ""));
    }
    return out;
  }

  /** What a container of the image runs, as both tools must agree on it. */
  private Map<String, String> config(String image) throws Exception {
    byte[] raw = dev.strata.layout.StoredImage.load(dev.strata.layout.Store.open(store), image).configBytes();
    JsonNode cc = ImageJson.mapper().readTree(raw).get("config");
    Map<String, String> out = new LinkedHashMap<>();
    for (String f : List.of("Entrypoint", "Cmd", "Env", "WorkingDir", "User", "Labels", "ExposedPorts", "Volumes",
        "StopSignal")) {
      JsonNode v = cc == null ? null : cc.get(f);
      if (v instanceof ObjectNode labels && f.equals("Labels")) {
        labels.remove("io.buildah.version"); // buildah's own mark
        v = labels.isEmpty() ? null : labels;
      }
      out.put(f, v == null || v.isNull() ? "" : v.toString());
    }
    return out;
  }

  private static List<String> buildah(String... args) {
    List<String> cmd = new ArrayList<>(List.of("buildah", "--root", buildahRoot.resolve("root").toString(),
        "--runroot", buildahRoot.resolve("run").toString(), "--storage-driver", "overlay"));
    cmd.addAll(List.of(args));
    return cmd;
  }

  private Path context(Case c) throws Exception {
    Path context = Files.createDirectories(dir.resolve("context-" + c.name()));
    Files.writeString(context.resolve("Containerfile"), c.containerfile(), UTF_8);
    for (Map.Entry<String, String> f : c.files().entrySet()) {
      String name = f.getKey();
      String mode = "644";
      int at = name.indexOf('@');
      if (at > 0) {
        mode = name.substring(at + 1);
        name = name.substring(0, at);
      }
      Path p = context.resolve(name);
      Files.createDirectories(p.getParent());
      Files.writeString(p, f.getValue(), UTF_8);
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode.equals("755") ? "rwxr-xr-x" : "rw-r--r--"));
    }
    if (c.name().equals("add-archive")) {
      Path src = Files.createDirectories(dir.resolve("archive-src/pkg/bin"));
      Files.writeString(src.resolve("tool"), "#!/bin/sh\n", UTF_8);
      Commands.run(List.of("chmod", "755", src.resolve("tool").toString()));
      Commands.run(List.of("ln", src.resolve("tool").toString(), src.resolve("tool2").toString()));
      Commands.run(List.of("ln", "-s", "tool", src.resolve("link").toString()));
      Commands.run(List.of("tar", "--owner=5:5", "--group=6:6", "-C", dir.resolve("archive-src").toString(), "-czf",
          context.resolve("bundle.tar.gz").toString(), "pkg"));
    }
    return context;
  }
}
