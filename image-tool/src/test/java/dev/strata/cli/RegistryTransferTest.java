package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.image.Descriptor;
import dev.strata.image.json.ImageJson;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pull and push against a real registry in each of its modes (plain http, basic auth, TLS with
 * a self-signed certificate and basic auth), with skopeo as the oracle: what one side writes,
 * the other reads with the same digests.
 */
class RegistryTransferTest {
  @TempDir static Path shared;
  static RegistryFixture plain;
  static RegistryFixture auth;
  static RegistryFixture tls;
  @TempDir Path dir;

  @BeforeAll
  static void startRegistries() throws Exception {
    plain = RegistryFixture.start("plain", shared.resolve("plain"));
    auth = RegistryFixture.start("auth", shared.resolve("auth"));
    tls = RegistryFixture.start("tls", shared.resolve("tls"));
  }

  @AfterAll
  static void stopRegistries() throws Exception {
    for (RegistryFixture r : new RegistryFixture[] {plain, auth, tls}) {
      if (r != null) {
        r.close();
      }
    }
  }

  /** Pushes tiny:3layer with skopeo; returns the manifest bytes skopeo sees there. */
  private static byte[] skopeoPush(RegistryFixture r, String repoTag, String... creds) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("skopeo", "copy", "-q", "--dest-tls-verify=false"));
    cmd.addAll(List.of(creds));
    cmd.addAll(List.of("oci:" + TestImages.tiny() + ":3layer", "docker://" + r.host() + "/" + repoTag));
    Commands.run(cmd);
    List<String> inspect = new ArrayList<>(List.of("skopeo", "inspect", "--raw", "--tls-verify=false"));
    if (creds.length > 0) {
      inspect.add("--creds");
      inspect.add(creds[0].substring("--dest-creds=".length()));
    }
    inspect.add("docker://" + r.host() + "/" + repoTag);
    return Commands.run(inspect).getBytes(StandardCharsets.UTF_8);
  }

  private static StoredImage image(Path store, String name) throws Exception {
    return StoredImage.load(Store.open(store), name);
  }

  @Test
  void pullsWhatSkopeoPushedWithTheSameDigests() throws Exception {
    byte[] raw = skopeoPush(plain, "busybox/tiny:v1");
    Path store = dir.resolve("store");
    Strata.Run run = Strata.run(store, "pull", "--tls-verify=false", "docker://" + plain.host() + "/busybox/tiny:v1", "tiny")
        .assertOk();
    assertThat(run.out()).contains("layer 1/3", "pulled tiny");
    StoredImage image = image(store, "tiny");
    JsonNode manifest = ImageJson.mapper().readTree(raw);
    assertThat(image.descriptor().digest()).isEqualTo(dev.strata.digest.Digest.sha256(raw));
    assertThat(image.manifest().config().digest().toString()).isEqualTo(manifest.get("config").get("digest").asText());
    List<String> layers = new ArrayList<>();
    manifest.get("layers").forEach(l -> layers.add(l.get("digest").asText()));
    assertThat(image.manifest().layers().stream().map(d -> d.digest().toString()).toList()).isEqualTo(layers);
    assertThat(Strata.run(store, "fsck").assertOk().out()).contains("all good");

    Strata.Run again = Strata.run(store, "pull", "--tls-verify=false", plain.host() + "/busybox/tiny:v1", "tiny").assertOk();
    assertThat(again.out()).contains("all already in the store, nothing copied");
  }

  @Test
  void whatStrataPushesSkopeoReadsByteForByte() throws Exception {
    Path store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
    StoredImage image = image(store, "tiny");
    Strata.Run push = Strata.run(store, "push", "--tls-verify=false", "tiny", "docker://" + plain.host() + "/pushed/tiny:v1")
        .assertOk();
    assertThat(push.out()).contains("pushed tiny to docker://" + plain.host() + "/pushed/tiny:v1: " + image.descriptor().digest());

    String raw = Commands.run(List.of("skopeo", "inspect", "--raw", "--tls-verify=false",
        "docker://" + plain.host() + "/pushed/tiny:v1"));
    assertThat(raw.getBytes(StandardCharsets.UTF_8))
        .isEqualTo(Store.open(store).blobs().readAllBytes(image.descriptor().digest()));
    Path layout = dir.resolve("copied");
    Commands.run(List.of("skopeo", "copy", "-q", "--src-tls-verify=false", "docker://" + plain.host() + "/pushed/tiny:v1",
        "oci:" + layout + ":v1"));
    for (Descriptor d : image.manifest().layers()) {
      Path blob = layout.resolve("blobs/sha256/" + d.digest().hex());
      assertThat(blob).exists();
      assertThat(dev.strata.digest.Digest.sha256(Files.readAllBytes(blob))).isEqualTo(d.digest());
    }

    // A second push finds every blob there: nothing is uploaded.
    Strata.Run second = Strata.run(store, "push", "--tls-verify=false", "tiny", plain.host() + "/pushed/tiny:v2").assertOk();
    assertThat(second.out().lines().filter(l -> l.startsWith("blob ")).toList()).hasSize(4).allMatch(l -> l.endsWith("exists"));
    Strata.Run quiet = Strata.run(store, "push", "-q", "--tls-verify=false", "tiny", plain.host() + "/pushed/tiny:v3").assertOk();
    assertThat(quiet.out()).isEqualTo(image.descriptor().digest() + "\n");
  }

  @Test
  void onATerminalEachBlobGetsALiveLine() throws Exception {
    Path store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
    // script(1) gives strata a terminal, as a user's shell would.
    String command = String.join(" ", StrataProcess.command(store, "push", "--tls-verify=false", "tiny",
        plain.host() + "/terminal/tiny:v1"));
    String first = Commands.run(List.of("script", "-qec", command, "/dev/null"));
    assertThat(first).contains("\u001b[2K", "\u001b[4A", "done", "pushed tiny");
    assertThat(first).doesNotContain("blob sha256:");
    String second = Commands.run(List.of("script", "-qec", command, "/dev/null"));
    assertThat(second.lines().filter(l -> l.contains("exists"))).isNotEmpty();
    assertThat(second).doesNotContain("done");
  }

  @Test
  void pushToAnotherRepositoryMountsTheBlobsPulledFromTheRegistry() throws Exception {
    skopeoPush(plain, "origin/tiny:v1");
    Path store = dir.resolve("store");
    Strata.run(store, "pull", "--tls-verify=false", plain.host() + "/origin/tiny:v1", "tiny").assertOk();
    Strata.Run push = Strata.run(store, "push", "--tls-verify=false", "tiny", plain.host() + "/elsewhere/tiny:v1").assertOk();
    List<String> blobs = push.out().lines().filter(l -> l.startsWith("blob ")).toList();
    assertThat(blobs).hasSize(4).allMatch(l -> l.endsWith("mounted"));
    JsonNode info = ImageJson.mapper().readTree(Commands.run(List.of("skopeo", "inspect", "--tls-verify=false",
        "docker://" + plain.host() + "/elsewhere/tiny:v1")));
    assertThat(info.get("Digest").asText()).isEqualTo(image(store, "tiny").descriptor().digest().toString());

    // Where blobs came from is kept only while they are in the store.
    assertThat(count(store.resolve("origins/sha256"))).isEqualTo(4);
    Strata.run(store, "rmi", "tiny").assertOk();
    Strata.run(store, "gc").assertOk();
    assertThat(count(store.resolve("origins/sha256"))).isZero();
  }

  private static long regularFiles(Path dir) throws java.io.IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).count();
    }
  }

  private static long count(Path dir) throws java.io.IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.count();
    }
  }

  @Test
  void anIndexResolvesToThePlatformAskedForAndADigestToItsManifest() throws Exception {
    Path layout = dir.resolve("multi");
    Commands.run(List.of("skopeo", "copy", "-q", "oci:" + TestImages.tiny() + ":3layer", "oci:" + layout + ":a"));
    Commands.run(List.of("skopeo", "copy", "-q", "oci:" + TestImages.tiny() + ":umoci-repack", "oci:" + layout + ":b"));
    JsonNode refs = ImageJson.mapper().readTree(Files.readAllBytes(layout.resolve("index.json"))).get("manifests");
    String here = dev.strata.image.Platform.current().architecture();
    StringBuilder entries = new StringBuilder();
    for (JsonNode m : refs) {
      String arch = m.get("annotations").get(Descriptor.REF_NAME).asText().equals("a") ? here : "s390x";
      entries.append(entries.length() > 0 ? "," : "").append("{\"mediaType\":\"").append(m.get("mediaType").asText())
          .append("\",\"digest\":\"").append(m.get("digest").asText()).append("\",\"size\":").append(m.get("size").asLong())
          .append(",\"platform\":{\"os\":\"linux\",\"architecture\":\"").append(arch).append("\"}}");
    }
    byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
        + entries + "]}").getBytes(StandardCharsets.UTF_8);
    dev.strata.digest.Digest indexDigest = dev.strata.digest.Digest.sha256(index);
    Files.write(layout.resolve("blobs/sha256/" + indexDigest.hex()), index);
    Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
        + "\"application/vnd.oci.image.index.v1+json\",\"digest\":\"" + indexDigest + "\",\"size\":" + index.length
        + ",\"annotations\":{\"" + Descriptor.REF_NAME + "\":\"multi\"}}]}");
    Commands.run(List.of("skopeo", "copy", "-q", "--all", "--dest-tls-verify=false", "oci:" + layout + ":multi",
        "docker://" + plain.host() + "/multi/tiny:v1"));
    String a = refs.get(0).get("digest").asText();
    String b = refs.get(1).get("digest").asText();

    Path store = dir.resolve("store");
    String ref = plain.host() + "/multi/tiny";
    Strata.run(store, "pull", "--tls-verify=false", ref + ":v1", "here").assertOk();
    assertThat(image(store, "here").descriptor().digest().toString()).isEqualTo(a);
    Strata.run(store, "pull", "--tls-verify=false", "--platform", "linux/s390x", ref + ":v1", "s390x").assertOk();
    assertThat(image(store, "s390x").descriptor().digest().toString()).isEqualTo(b);
    Strata.Run none = Strata.run(store, "pull", "--tls-verify=false", "--platform", "windows/arm", ref + ":v1", "none");
    assertThat(none.exit()).isEqualTo(1);
    assertThat(none.err()).contains("has no manifest for windows/arm", "--platform");
    Strata.run(store, "pull", "--tls-verify=false", "docker://" + ref + "@" + b, "by-digest").assertOk();
    assertThat(image(store, "by-digest").descriptor().digest().toString()).isEqualTo(b);
    Strata.Run unknown = Strata.run(store, "pull", "--tls-verify=false", ref + ":no-such-tag", "x");
    assertThat(unknown.exit()).isEqualTo(1);
    assertThat(unknown.err()).contains("manifest unknown", "no-such-tag");
  }

  @Test
  void theDebianImageRoundTripsWhenBuilt() throws Exception {
    Path debian = TestImages.debian();
    Path source = debian != null ? debian : TestImages.dir().resolve("sample");
    Path store = dir.resolve("store");
    String ref = debian != null ? "minbase" : null;
    Strata.run(store, "pull", "oci:" + source + (ref != null ? ":" + ref : ""), "base").assertOk();
    StoredImage image = image(store, "base");
    Strata.run(store, "push", "--tls-verify=false", "base", plain.host() + "/round/base:v1").assertOk();
    // By default every blob goes in one PUT; with --chunk-size, blobs above it go in PATCHes of it.
    // From a store of its own, which knows of no copy on this registry to mount from.
    Path other = dir.resolve("other");
    Strata.run(other, "pull", "oci:" + source + (ref != null ? ":" + ref : ""), "base").assertOk();
    Strata.run(other, "push", "--tls-verify=false", "--chunk-size", "16MiB", "base", plain.host() + "/round/chunked:v1")
        .assertOk();
    long chunk = 16L << 20;
    long patches = image.manifest().layers().stream().filter(d -> d.size() > chunk)
        .mapToLong(d -> (d.size() + chunk - 1) / chunk).sum();
    long blobs = image.manifest().layers().stream().map(d -> d.digest()).distinct().count() + 1;
    try (Stream<String> log = Files.lines(plain.state.resolve("registry.log"))) {
      List<String> lines = log.toList();
      assertThat(lines.stream().filter(l -> l.contains("\"PATCH /v2/round/base/blobs/uploads/")).count()).isZero();
      assertThat(lines.stream().filter(l -> l.contains("\"PUT /v2/round/base/blobs/uploads/")).count()).isEqualTo(blobs);
      assertThat(lines.stream().filter(l -> l.contains("\"PATCH /v2/round/chunked/blobs/uploads/")).count())
          .isEqualTo(patches);
    }
    Strata.Run badChunk = Strata.run(store, "push", "--tls-verify=false", "--chunk-size", "0", "base",
        plain.host() + "/round/chunked:v2");
    assertThat(badChunk.exit()).isNotZero();
    assertThat(badChunk.err()).contains("--chunk-size");
    Path chunked = dir.resolve("chunked");
    Strata.run(chunked, "pull", "--tls-verify=false", plain.host() + "/round/chunked:v1", "base").assertOk();
    assertThat(image(chunked, "base").descriptor()).isEqualTo(image.descriptor());
    Path second = dir.resolve("second");
    Strata.run(second, "pull", "--tls-verify=false", plain.host() + "/round/base:v1", "base").assertOk();
    assertThat(image(second, "base").descriptor()).isEqualTo(image.descriptor());
    assertThat(Strata.run(second, "fsck").assertOk().out()).contains("all good");
  }

  @Test
  void basicAuthWithCredsAndWithADockerConfigFile() throws Exception {
    skopeoPush(auth, "secret/tiny:v1", "--dest-creds=testuser:testpass");
    Path store = dir.resolve("store");
    String ref = auth.host() + "/secret/tiny:v1";

    Strata.Run anonymous = Strata.run(store, "pull", "--tls-verify=false", ref, "tiny");
    assertThat(anonymous.exit()).isEqualTo(1);
    assertThat(anonymous.err()).startsWith("strata: error: unauthorized: authentication required");

    Strata.Run wrong = Strata.run(store, "pull", "--tls-verify=false", "--creds", "testuser:not-the-password", ref, "tiny");
    assertThat(wrong.exit()).isEqualTo(1);
    assertThat(wrong.err()).startsWith("strata: error: unauthorized: wrong user name or password")
        .doesNotContain("not-the-password");
    assertThat(Store.open(store).tags()).isEmpty();

    Strata.run(store, "pull", "--tls-verify=false", "--creds", "testuser:testpass", ref, "tiny").assertOk();

    // Credentials of a login, from $REGISTRY_AUTH_FILE, in a separate process as a user runs it.
    Path authFile = dir.resolve("auth.json");
    String basic = Base64.getEncoder().encodeToString("testuser:testpass".getBytes(StandardCharsets.UTF_8));
    Files.writeString(authFile, "{\"auths\": {\"" + auth.host() + "\": {\"auth\": \"" + basic + "\"}}}");
    Commands.Result none = StrataProcess.exec(store, Map.of("REGISTRY_AUTH_FILE", dir.resolve("none.json").toString(),
        "DOCKER_CONFIG", dir.toString()), "push", "--tls-verify=false", "tiny", auth.host() + "/secret/copy:v1");
    assertThat(none.exit()).isEqualTo(1);
    assertThat(none.out()).contains("unauthorized: authentication required");
    Commands.Result ok = StrataProcess.exec(store, Map.of("REGISTRY_AUTH_FILE", authFile.toString()),
        "push", "--tls-verify=false", "tiny", auth.host() + "/secret/copy:v1");
    assertThat(ok.exit()).as(ok.out()).isZero();
    assertThat(ok.out()).contains("pushed tiny").doesNotContain(basic).doesNotContain("testpass");
  }

  @Test
  void tlsIsVerifiedAgainstTheSystemOrTheCertDir() throws Exception {
    Path store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
    String ref = tls.host() + "/tls/tiny:v1";

    Strata.Run untrusted = Strata.run(store, "push", "--creds", "testuser:testpass", "tiny", ref);
    assertThat(untrusted.exit()).isEqualTo(1);
    assertThat(untrusted.err()).contains("TLS handshake with " + tls.host() + " failed", "--cert-dir", "--tls-verify=false");

    Path certs = dir.resolve("certs");
    Files.createDirectories(certs);
    Files.copy(tls.caCert(), certs.resolve("ca.crt"));
    Strata.run(store, "push", "--cert-dir", certs.toString(), "--creds", "testuser:testpass", "tiny", ref).assertOk();
    Path second = dir.resolve("second");
    Strata.run(second, "pull", "--cert-dir", certs.toString(), "--creds", "testuser:testpass", ref, "tiny").assertOk();
    assertThat(image(second, "tiny").descriptor()).isEqualTo(image(store, "tiny").descriptor());

    // Verification off: any certificate is taken.
    Path third = dir.resolve("third");
    Strata.run(third, "pull", "--tls-verify=false", "--creds", "testuser:testpass", ref, "tiny").assertOk();
    // On, a plain-http registry is refused rather than spoken to in clear.
    Strata.Run clear = Strata.run(third, "pull", "docker://" + plain.host() + "/pushed/tiny:v1", "x");
    assertThat(clear.exit()).isEqualTo(1);
    assertThat(clear.err()).contains("needs --tls-verify=false");
  }

  @Test
  void layersAndHistoryReadARegistryWithoutStoringAnything() throws Exception {
    Path store = dir.resolve("store");
    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
    Path certs = dir.resolve("certs");
    Files.createDirectories(certs);
    Files.copy(tls.caCert(), certs.resolve("ca.crt"));
    String ref = "docker://" + tls.host() + "/inspect/tiny:v1";
    Strata.run(store, "push", "--cert-dir", certs.toString(), "--creds", "testuser:testpass", "tiny", ref).assertOk();

    Path empty = dir.resolve("empty");
    String[] flags = {"--cert-dir", certs.toString(), "--creds", "testuser:testpass"};
    for (String command : new String[] {"layers", "history"}) {
      JsonNode local = ImageJson.mapper().readTree(Strata.run(store, command, "--json", "tiny").assertOk().out());
      List<String> remote = new ArrayList<>(List.of(command, "--json"));
      remote.addAll(List.of(flags));
      remote.add(ref);
      JsonNode fromRegistry = ImageJson.mapper().readTree(Strata.run(empty, remote.toArray(String[]::new)).assertOk().out());
      // The image's name is the one thing that differs: the store's tag against the reference.
      for (JsonNode n : new JsonNode[] {local, fromRegistry}) {
        if (n instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
          o.remove("name");
        }
      }
      assertThat(fromRegistry).as(command).isEqualTo(local);
    }
    // Nothing of the image was kept: no blob, no file content, no layer index, no tag.
    for (String kept : new String[] {"blobs", "objects", "layers"}) {
      Path d = empty.resolve(kept);
      assertThat(Files.exists(d) ? regularFiles(d) : 0).as(kept).isZero();
    }
    assertThat(Store.open(empty).tags()).isEmpty();

    // The registry flags apply as to a pull: without the credentials the registry refuses.
    Strata.Run refused = Strata.run(empty, "layers", "--cert-dir", certs.toString(), ref);
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("unauthorized");
  }
}
