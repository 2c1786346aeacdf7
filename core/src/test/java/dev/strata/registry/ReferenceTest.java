package dev.strata.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.digest.Digest;
import org.junit.jupiter.api.Test;

class ReferenceTest {
  private static final String HEX = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  @Test
  void aBareNameIsAnOfficialDockerHubImageAtLatest() {
    Reference r = Reference.parse("alpine");
    assertThat(r).isEqualTo(new Reference("docker.io", "library/alpine", "latest", null));
    assertThat(r.endpoint()).isEqualTo("registry-1.docker.io");
    assertThat(r.toString()).isEqualTo("docker.io/library/alpine:latest");
    assertThat(Reference.parse("docker://alpine")).isEqualTo(r);
  }

  @Test
  void theFirstComponentIsAHostOnlyWithADotAColonOrLocalhost() {
    assertThat(Reference.parse("user/app:1").host()).isEqualTo("docker.io");
    assertThat(Reference.parse("user/app:1").repository()).isEqualTo("user/app");
    assertThat(Reference.parse("quay.io/org/app").host()).isEqualTo("quay.io");
    assertThat(Reference.parse("127.0.0.1:5000/app:v2")).isEqualTo(new Reference("127.0.0.1:5000", "app", "v2", null));
    assertThat(Reference.parse("localhost/app").host()).isEqualTo("localhost");
    assertThat(Reference.parse("localhost:5000/a/b/c").repository()).isEqualTo("a/b/c");
    assertThat(Reference.parse("localhost:5000/app").endpoint()).isEqualTo("localhost:5000");
  }

  @Test
  void aDigestReferenceIsFetchedByDigest() {
    Reference r = Reference.parse("docker://127.0.0.1:5000/app@sha256:" + HEX);
    assertThat(r.tag()).isNull();
    assertThat(r.digest()).isEqualTo(Digest.parse("sha256:" + HEX));
    assertThat(r.manifestRef()).isEqualTo("sha256:" + HEX);
    assertThat(Reference.parse("app:v1@sha256:" + HEX).tag()).isEqualTo("v1");
    assertThat(Reference.parse("app:v1").manifestRef()).isEqualTo("v1");
  }

  @Test
  void badReferencesAreRefused() {
    assertThatThrownBy(() -> Reference.parse("Upper/Case")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Reference.parse("app:bad!tag")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Reference.parse("docker://")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Reference.parse("app@sha256:short")).isInstanceOf(IllegalArgumentException.class);
  }
}
