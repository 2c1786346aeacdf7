package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registry that wants a client certificate (http.tls.clientcas): the cert dir's NAME.cert
 * and NAME.key are presented, as podman and skopeo present them.
 */
class RegistryClientCertTest {
  @TempDir Path dir;

  private void openssl(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Commands.run(cmd);
  }

  @Test
  void theCertDirsClientCertificateIsPresented() throws Exception {
    Path pki = dir.resolve("pki");
    Path certs = dir.resolve("certs");
    Path onlyCa = dir.resolve("only-ca");
    Files.createDirectories(pki);
    Files.createDirectories(certs);
    Files.createDirectories(onlyCa);
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout", pki.resolve("server.key").toString(), "-out", pki.resolve("server.crt").toString());
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=client-ca",
        "-keyout", pki.resolve("clientca.key").toString(), "-out", pki.resolve("clientca.crt").toString());
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=strata",
        "-keyout", certs.resolve("client.key").toString(), "-out", pki.resolve("client.csr").toString());
    openssl("x509", "-req", "-in", pki.resolve("client.csr").toString(), "-CA", pki.resolve("clientca.crt").toString(),
        "-CAkey", pki.resolve("clientca.key").toString(), "-CAcreateserial", "-days", "2",
        "-out", certs.resolve("client.cert").toString());
    Files.copy(pki.resolve("server.crt"), certs.resolve("ca.crt"));
    Files.copy(pki.resolve("server.crt"), onlyCa.resolve("ca.crt"));
    String config = RegistryFixture.CONFIG_HEAD + """
          tls:
            certificate: PKI/server.crt
            key: PKI/server.key
            clientcas:
              - PKI/clientca.crt
        """.replace("PKI", pki.toString());
    try (RegistryFixture registry = RegistryFixture.startWithConfig(config, dir.resolve("registry"))) {
      Path store = dir.resolve("store");
      Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
      String ref = registry.host() + "/mtls/tiny:v1";

      Strata.Run refused = Strata.run(store, "push", "--cert-dir", onlyCa.toString(), "tiny", ref);
      assertThat(refused.exit()).isEqualTo(1);
      assertThat(refused.err()).contains("asks for a client certificate", "NAME.cert", "--cert-dir");

      Strata.run(store, "push", "--cert-dir", certs.toString(), "tiny", ref).assertOk();
      Path second = dir.resolve("second");
      Strata.run(second, "pull", "--cert-dir", certs.toString(), ref, "tiny").assertOk();
      assertThat(StoredImage.load(Store.open(second), "tiny").descriptor())
          .isEqualTo(StoredImage.load(Store.open(store), "tiny").descriptor());
    }
  }
  /**
   * A server that asks for a client certificate and then never answers (as a TLS 1.3 refusal
   * that the JDK's client missed looks): a clear error within seconds, not a minute's time-out.
   */
  @Test
  void aServerThatAsksForAClientCertificateAndNeverAnswersIsToldApartQuickly() throws Exception {
    Path pki = Files.createDirectories(dir.resolve("pki"));
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout", pki.resolve("server.key").toString(), "-out", pki.resolve("server.crt").toString());
    Path certs = Files.createDirectories(dir.resolve("certs"));
    Files.copy(pki.resolve("server.crt"), certs.resolve("ca.crt"));
    int port;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    // -verify: asks for a client certificate without requiring one; no -www: it answers nothing.
    Process server = new ProcessBuilder("openssl", "s_server", "-accept", "127.0.0.1:" + port, "-verify", "1",
        "-cert", pki.resolve("server.crt").toString(), "-key", pki.resolve("server.key").toString(), "-quiet")
        .redirectErrorStream(true).redirectOutput(dir.resolve("s_server.log").toFile()).start();
    try {
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      while (true) {
        try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
          break;
        } catch (java.io.IOException e) {
          if (System.nanoTime() > deadline) {
            throw e;
          }
          Thread.sleep(50);
        }
      }
      Path store = dir.resolve("store");
      // Without the notice this waited for the request's one-minute time-out and said so.
      Strata.Run r = Strata.run(store, "pull", "--cert-dir", certs.toString(), "docker://127.0.0.1:" + port + "/a/b:c", "x");
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.err()).contains("asks for a client certificate", "NAME.cert", "--cert-dir");
    } finally {
      server.destroyForcibly().waitFor();
    }
  }
}
