package dev.strata.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.image.json.ImageJson;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What to put in {@code Authorization}, learnt from the registry's challenges: nothing until
 * it asks; Basic with the credentials; or, for Bearer, a token from the challenge's realm for
 * each scope, fetched once, kept, and fetched again when the registry refuses it.
 */
final class TokenAuth {
  private final String host;
  private final Credentials credentials;
  private final HttpClient client;
  private final Map<String, String> tokens = new ConcurrentHashMap<>();
  private volatile Challenge challenge;

  TokenAuth(String host, Credentials credentials, HttpClient client) {
    this.host = host;
    this.credentials = credentials;
    this.client = client;
  }

  /** Returns the Authorization value for a request needing {@code scope}, or null. */
  String header(String scope) throws IOException {
    Challenge c = challenge;
    if (c == null) {
      return null;
    }
    if (!c.isBearer()) {
      return credentials != null ? credentials.basicHeader() : null;
    }
    String token = tokens.get(scope);
    if (token == null) {
      synchronized (this) {
        token = tokens.get(scope);
        if (token == null) {
          token = fetchToken(c, scope);
          tokens.put(scope, token);
        }
      }
    }
    return "Bearer " + token;
  }

  /** Learns from a 401: remembers the challenge, drops the refused token. */
  void challenged(String wwwAuthenticate, String scope) throws RegistryException {
    Challenge c = Challenge.parse(wwwAuthenticate).orElseThrow(() ->
        new RegistryException(401, "unauthorized: " + host + " refused the request and named no way to authenticate"));
    if (!c.isBearer() && credentials == null) {
      throw unauthorized("authentication required");
    }
    challenge = c;
    tokens.remove(scope);
  }

  /** The error for a request refused after authenticating. */
  RegistryException unauthorized(String detail) {
    String hint = credentials == null
        ? " (give --creds USER:PASS, or log in so that ~/.docker/config.json or $REGISTRY_AUTH_FILE has " + host + ")"
        : " (user " + credentials.user() + ")";
    String why = credentials == null ? "authentication required"
        : "wrong user name or password, or no access" + (detail.isBlank() ? "" : " (" + detail + ")");
    return new RegistryException(401, "unauthorized: " + why + " at " + host + hint);
  }

  private String fetchToken(Challenge c, String scope) throws IOException {
    String realm = c.param("realm");
    if (realm == null) {
      throw new RegistryException(401, "unauthorized: " + host + " asks for a bearer token but names no realm");
    }
    StringBuilder query = new StringBuilder();
    if (c.param("service") != null) {
      query.append("service=").append(URLEncoder.encode(c.param("service"), StandardCharsets.UTF_8));
    }
    for (String s : scope.split(" ")) {
      query.append(query.length() > 0 ? "&" : "").append("scope=").append(URLEncoder.encode(s, StandardCharsets.UTF_8));
    }
    URI uri = URI.create(realm + (realm.contains("?") ? "&" : "?") + query);
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(1)).GET();
    if (credentials != null) {
      request.header("Authorization", credentials.basicHeader());
    }
    HttpResponse<byte[]> response;
    try {
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while fetching a token from " + uri.getHost());
    } catch (IOException e) {
      throw new IOException("cannot fetch a token from " + uri.getScheme() + "://" + uri.getAuthority() + ": "
          + Transport.describe(e), e);
    }
    if (response.statusCode() == 401 || response.statusCode() == 403) {
      throw unauthorized("the token server " + uri.getScheme() + "://" + uri.getAuthority() + " refused the credentials");
    }
    if (response.statusCode() != 200) {
      throw new RegistryException(response.statusCode(), "token server " + uri.getAuthority() + " answered "
          + response.statusCode());
    }
    JsonNode json = ImageJson.mapper().readTree(response.body());
    String token = json.hasNonNull("token") ? json.get("token").asText() : json.path("access_token").asText(null);
    if (token == null || token.isEmpty()) {
      throw new RegistryException(0, "token server " + uri.getAuthority() + " gave no token");
    }
    return token;
  }
}
