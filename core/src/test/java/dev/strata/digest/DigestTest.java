package dev.strata.digest;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DigestTest {
  private static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  private static final String EMPTY_SHA512 = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
      + "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";

  @Test
  void parsesSha256() {
    Digest d = Digest.parse("sha256:" + EMPTY_SHA256);

    assertThat(d.algorithm()).isEqualTo("sha256");
    assertThat(d.hex()).isEqualTo(EMPTY_SHA256);
    assertThat(d).hasToString("sha256:" + EMPTY_SHA256);
    assertThat(d.shortHex()).isEqualTo("e3b0c44298fc");
  }

  @Test
  void parsesSha512() {
    Digest d = Digest.parse("sha512:" + EMPTY_SHA512);

    assertThat(d.algorithm()).isEqualTo(Digest.SHA512);
    assertThat(d.raw()).hasSize(64);
  }

  @Test
  void sha256OfKnownBytes() {
    assertThat(Digest.sha256(new byte[0])).isEqualTo(Digest.parse("sha256:" + EMPTY_SHA256));
    assertThat(Digest.sha256("abc".getBytes(UTF_8)).hex())
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void rawRoundTripsThroughFromRaw() {
    Digest d = Digest.sha256("layer".getBytes(UTF_8));

    assertThat(Digest.fromRaw(Digest.SHA256, d.raw())).isEqualTo(d);
    assertThat(HexFormat.of().formatHex(d.raw())).isEqualTo(d.hex());
  }

  @Test
  void fromRawRefusesTheWrongLength() {
    assertThatThrownBy(() -> Digest.fromRaw(Digest.SHA256, new byte[31]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected 64 lowercase hex digits");
  }

  @Test
  void refusesUppercaseHex() {
    assertThatThrownBy(() -> Digest.parse("sha256:" + EMPTY_SHA256.toUpperCase()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lowercase hex");
  }

  @Test
  void refusesUppercaseAlgorithm() {
    assertThatThrownBy(() -> Digest.parse("SHA256:" + EMPTY_SHA256))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unsupported digest algorithm: SHA256");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
      "sha256:",
      "sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"})
  void refusesTheWrongLength(String text) {
    assertThatThrownBy(() -> Digest.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lowercase hex digits");
  }

  @ParameterizedTest
  @ValueSource(strings = {"md5:d41d8cd98f00b204e9800998ecf8427e", "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709",
      "blake3:" + EMPTY_SHA256, "sha256+b64u:" + EMPTY_SHA256})
  void refusesUnknownAlgorithms(String text) {
    assertThatThrownBy(() -> Digest.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unsupported digest algorithm");
  }

  @ParameterizedTest
  @ValueSource(strings = {EMPTY_SHA256, "", ":" + EMPTY_SHA256})
  void refusesAMissingAlgorithm(String text) {
    assertThatThrownBy(() -> Digest.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected algorithm:hex");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "sha256:../../x",
      "sha256:../../../../../../../../../../../../../../../../../../../../../etc/passwd",
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85/",
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85\n",
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85\0",
      "sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
      "sha256:sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7",
      "../sha256:" + EMPTY_SHA256})
  void refusesPathTricks(String text) {
    assertThatThrownBy(() -> Digest.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void abbreviatesLongGarbageInMessages() {
    String junk = "sha256:" + "a".repeat(10_000);

    assertThatThrownBy(() -> Digest.parse(junk))
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(300));
  }

  @Test
  void ordersByAlgorithmThenHex() {
    Digest a = Digest.parse("sha256:" + "0".repeat(64));
    Digest b = Digest.parse("sha256:" + "f".repeat(64));
    Digest c = Digest.parse("sha512:" + "0".repeat(128));

    assertThat(a).isLessThan(b);
    assertThat(b).isLessThan(c);
  }
}
