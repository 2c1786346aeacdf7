package dev.strata.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parts of auth that need no registry: challenges, credentials and the Docker config files. */
class AuthPiecesTest {
  @TempDir Path dir;

  @Test
  void parsesBearerAndBasicChallenges() {
    Challenge bearer = Challenge.parse(
        "Bearer realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a/b:pull,push\"")
        .orElseThrow();
    assertThat(bearer.isBearer()).isTrue();
    assertThat(bearer.params()).containsEntry("realm", "https://auth.example/token")
        .containsEntry("service", "registry.example").containsEntry("scope", "repository:a/b:pull,push");
    Challenge basic = Challenge.parse("Basic realm=\"basic-realm\"").orElseThrow();
    assertThat(basic.isBearer()).isFalse();
    assertThat(basic.param("realm")).isEqualTo("basic-realm");
    assertThat(Challenge.parse(null)).isEmpty();
  }

  @Test
  void credentialsNeverShowTheirPassword() {
    Credentials c = Credentials.parse("user:pa:ss");
    assertThat(c.password()).isEqualTo("pa:ss");
    assertThat(c.toString()).contains("user").doesNotContain("pa:ss");
    assertThat(c.basicHeader()).isEqualTo("Basic " + Base64.getEncoder().encodeToString("user:pa:ss".getBytes(StandardCharsets.UTF_8)));
    assertThatThrownBy(() -> Credentials.parse("nocolon")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void dockerConfigFilesGiveCredentialsPerHostFirstFileFirst() throws Exception {
    Path first = dir.resolve("auth.json");
    Path second = dir.resolve("config.json");
    Files.writeString(first, "{\"auths\": {\"127.0.0.1:5000\": {\"auth\": \"" + b64("alice:one") + "\"}}}");
    Files.writeString(second, "{\"auths\": {\"127.0.0.1:5000\": {\"auth\": \"" + b64("bob:two") + "\"},"
        + " \"https://index.docker.io/v1/\": {\"auth\": \"" + b64("hub:three") + "\"}}}");
    List<Path> files = List.of(first, dir.resolve("missing.json"), second);
    assertThat(DockerConfig.lookup("127.0.0.1:5000", files)).contains(new Credentials("alice", "one"));
    assertThat(DockerConfig.lookup("docker.io", files)).contains(new Credentials("hub", "three"));
    assertThat(DockerConfig.lookup("other.example", files)).isEmpty();
    assertThat(DockerConfig.files(Map.of("REGISTRY_AUTH_FILE", first.toString()), "/home/u"))
        .containsExactly(first, Path.of("/home/u/.docker/config.json"));
  }

  @Test
  void aBrokenAuthValueIsAnErrorThatShowsNoSecret() throws Exception {
    Path file = dir.resolve("auth.json");
    Files.writeString(file, "{\"auths\": {\"h\": {\"auth\": \"" + b64("no-colon-secret") + "\"}}}");
    assertThatThrownBy(() -> DockerConfig.lookup("h", List.of(file)))
        .hasMessageContaining(file.toString()).hasMessageNotContaining("no-colon-secret");
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
