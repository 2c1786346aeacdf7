package dev.strata.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A token server as the distribution auth spec describes it, for a registry configured with
 * {@code auth: token}: checks Basic credentials and answers with an RS256 JWT granting the
 * scopes asked for, its certificate in the {@code x5c} header (the registry trusts it through
 * {@code rootcertbundle}). The first token of each scope can be issued already expired, to see
 * the client fetch a new one when the registry refuses it.
 */
final class TokenServer implements AutoCloseable {
  static final String SERVICE = "strata-test-registry";
  static final String ISSUER = "strata-test-issuer";
  private final HttpServer server;
  private final PrivateKey key;
  private final String x5c;
  private final Set<String> issuedOnce = ConcurrentHashMap.newKeySet();
  /** The query of every token request, and whether it carried the right credentials. */
  final List<String> requests = new CopyOnWriteArrayList<>();
  volatile boolean firstTokenExpired;

  /** Makes a key and self-signed certificate in {@code dir} (cert.pem is the registry's rootcertbundle). */
  TokenServer(Path dir) throws Exception {
    Files.createDirectories(dir);
    Commands.run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=strata-token",
        "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString()));
    String pem = Files.readString(dir.resolve("key.pem")).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
    try (var in = Files.newInputStream(dir.resolve("cert.pem"))) {
      x5c = Base64.getEncoder().encodeToString(CertificateFactory.getInstance("X.509").generateCertificate(in).getEncoded());
    }
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/token", this::token);
    server.start();
  }

  String realm() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
  }

  Path rootCertBundle(Path dir) {
    return dir.resolve("cert.pem");
  }

  private void token(HttpExchange ex) throws IOException {
    try (ex) {
      String query = ex.getRequestURI().getRawQuery() == null ? "" : ex.getRequestURI().getRawQuery();
      String expected = "Basic " + Base64.getEncoder().encodeToString("testuser:testpass".getBytes(StandardCharsets.UTF_8));
      boolean good = expected.equals(ex.getRequestHeaders().getFirst("Authorization"));
      requests.add(query + (good ? " (authenticated)" : " (refused)"));
      if (!good) {
        ex.sendResponseHeaders(401, -1);
        return;
      }
      List<String> scopes = new ArrayList<>();
      for (String kv : query.split("&")) {
        if (kv.startsWith("scope=")) {
          scopes.add(URLDecoder.decode(kv.substring(6), StandardCharsets.UTF_8));
        }
      }
      boolean expired = firstTokenExpired && issuedOnce.add(String.join(" ", scopes));
      byte[] body = ("{\"token\":\"" + jwt(scopes, expired) + "\",\"expires_in\":300}").getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
    } catch (Exception e) {
      throw new IOException(e);
    }
  }

  private String jwt(List<String> scopes, boolean expired) throws Exception {
    long now = System.currentTimeMillis() / 1000;
    StringBuilder access = new StringBuilder();
    for (String scope : scopes) {
      String[] parts = scope.split(":");
      StringBuilder actions = new StringBuilder();
      for (String a : parts[2].split(",")) {
        actions.append(actions.length() > 0 ? "," : "").append('"').append(a).append('"');
      }
      access.append(access.length() > 0 ? "," : "").append("{\"type\":\"").append(parts[0]).append("\",\"name\":\"")
          .append(parts[1]).append("\",\"actions\":[").append(actions).append("]}");
    }
    long exp = expired ? now - 60 : now + 300;
    String header = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5c\":[\"" + x5c + "\"]}";
    String claims = "{\"iss\":\"" + ISSUER + "\",\"sub\":\"testuser\",\"aud\":\"" + SERVICE + "\",\"exp\":" + exp
        + ",\"nbf\":" + (now - 120) + ",\"iat\":" + (now - 120) + ",\"jti\":\"" + UUID.randomUUID() + "\",\"access\":[" + access + "]}";
    String signingInput = b64(header.getBytes(StandardCharsets.UTF_8)) + "." + b64(claims.getBytes(StandardCharsets.UTF_8));
    Signature rs256 = Signature.getInstance("SHA256withRSA");
    rs256.initSign(key);
    rs256.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + b64(rs256.sign());
  }

  private static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
