package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.image.json.ImageJson;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bearer token flow against a real registry configured with {@code auth: token} and a
 * token server of the test's own: challenge, token with Basic credentials, token per scope,
 * and a fresh token when the registry refuses one.
 */
class RegistryTokenAuthTest {
  @TempDir Path dir;

  private static final String CONFIG = RegistryFixture.CONFIG_HEAD + """
      auth:
        token:
          realm: REALM
          service: SERVICE
          issuer: ISSUER
          rootcertbundle: BUNDLE
      """;

  @Test
  void pushAndPullWithBearerTokens() throws Exception {
    Path keys = dir.resolve("keys");
    try (TokenServer tokens = new TokenServer(keys);
        RegistryFixture registry = RegistryFixture.startWithConfig(CONFIG.replace("REALM", tokens.realm())
            .replace("SERVICE", TokenServer.SERVICE).replace("ISSUER", TokenServer.ISSUER)
            .replace("BUNDLE", tokens.rootCertBundle(keys).toString()), dir.resolve("registry"))) {
      Path store = dir.resolve("store");
      Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
      String ref = registry.host() + "/bearer/tiny:v1";

      Strata.Run wrong = Strata.run(store, "push", "--tls-verify=false", "--creds", "testuser:nope", "tiny", ref);
      assertThat(wrong.exit()).isEqualTo(1);
      assertThat(wrong.err()).startsWith("strata: error: unauthorized: ").contains("token server").doesNotContain("nope");

      // Every first token is stale: the registry refuses it and strata asks for another.
      tokens.firstTokenExpired = true;
      tokens.requests.clear();
      Strata.run(store, "push", "--tls-verify=false", "--creds", "testuser:testpass", "tiny", ref).assertOk();
      assertThat(tokens.requests).allMatch(q -> q.endsWith("(authenticated)"))
          .allMatch(q -> q.contains("service=" + TokenServer.SERVICE));
      assertThat(tokens.requests.stream().filter(q -> q.contains("scope=repository%3Abearer%2Ftiny%3Apull%2Cpush")))
          .hasSize(2);

      tokens.firstTokenExpired = false;
      JsonNode info = ImageJson.mapper().readTree(Commands.run(List.of("skopeo", "inspect", "--tls-verify=false",
          "--creds", "testuser:testpass", "docker://" + ref)));
      StoredImage image = StoredImage.load(Store.open(store), "tiny");
      assertThat(info.get("Digest").asText()).isEqualTo(image.descriptor().digest().toString());

      Path second = dir.resolve("second");
      tokens.requests.clear();
      Strata.run(second, "pull", "--tls-verify=false", "--creds", "testuser:testpass", ref, "tiny").assertOk();
      assertThat(StoredImage.load(Store.open(second), "tiny").descriptor()).isEqualTo(image.descriptor());
      // One token for the pull scope, kept for the manifest and every blob.
      assertThat(tokens.requests).hasSize(1).allMatch(q -> q.contains("scope=repository%3Abearer%2Ftiny%3Apull "));
    }
  }
}
