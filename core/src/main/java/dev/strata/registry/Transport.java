package dev.strata.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.image.json.ImageJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * The HTTP exchanges with one registry: picks https (or, with TLS verification off, falls back
 * to http as skopeo does for insecure registries), answers auth challenges, and follows
 * redirects by hand so that {@code Authorization} never goes to another host (blob downloads
 * are redirected to storage that must not see the registry's token).
 */
final class Transport {
  private static final int MAX_REDIRECTS = 5;
  /** The JDK client's read buffer: see the static initializer. */
  static final String BUFFER_PROPERTY = "jdk.httpclient.bufsize";

  static {
    // The JDK's client reads responses in buffers of 16 KiB, each passed between its threads
    // on its own: a layer of 80 MB is some 5,000 hand-offs. With 256 KiB buffers a registry
    // pull of one costs about 0.3 s less CPU (measured). The client reads the property when its
    // first instance is made, so this must run before; a value given on the command line wins.
    if (System.getProperty(BUFFER_PROPERTY) == null) {
      System.setProperty(BUFFER_PROPERTY, Integer.toString(256 << 10));
    }
  }

  private final String host;
  private final HttpClient client;
  private final TokenAuth auth;
  private final RegistryOptions options;
  private String scheme;

  /** One request: a path under the registry (or an absolute URI), its headers and body. */
  record Request(String method, String target, Map<String, String> headers, Supplier<HttpRequest.BodyPublisher> body,
      String scope) {
    static Request get(String target, String scope, Map<String, String> headers) {
      return new Request("GET", target, headers, null, scope);
    }
  }

  private Transport(String host, HttpClient client, TokenAuth auth, RegistryOptions options) {
    this.host = host;
    this.client = client;
    this.auth = auth;
    this.options = options;
  }

  /** Connects to {@code host} (host[:port]), checking it speaks the API at /v2/. */
  static Transport connect(String host, Credentials credentials, RegistryOptions options) throws IOException {
    HttpClient client = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(30))
        .sslContext(TlsContexts.create(options))
        .build();
    Transport t = new Transport(host, client, new TokenAuth(host, credentials, client), options);
    t.ping();
    return t;
  }

  String host() {
    return host;
  }

  private void ping() throws IOException {
    scheme = "https";
    HttpResponse<InputStream> r;
    try {
      // Some plain-http servers wait for a request line that a TLS hello never sends: when
      // http is allowed, do not wait long on https.
      Duration probe = options.tlsVerify() ? Duration.ofMinutes(1) : Duration.ofSeconds(5);
      r = exchange(HttpRequest.newBuilder(uri("/v2/")).timeout(probe).GET(), null);
    } catch (IOException e) {
      if (options.tlsVerify()) {
        throw connectError(e);
      }
      scheme = "http";
      try {
        r = exchange(HttpRequest.newBuilder(uri("/v2/")).GET(), null);
      } catch (IOException plain) {
        plain.addSuppressed(e);
        throw connectError(plain);
      }
    }
    try (InputStream body = r.body()) {
      body.readNBytes(1 << 16);
    }
    if (r.statusCode() == 401) {
      r.headers().firstValue("WWW-Authenticate").ifPresent(h -> {
        try {
          auth.challenged(h, "");
        } catch (RegistryException e) {
          // Anonymous access may still be allowed for some repositories: decide per request.
        }
      });
    } else if (r.statusCode() != 200) {
      throw new RegistryException(r.statusCode(), host + " does not look like a registry: GET /v2/ answered " + r.statusCode());
    }
  }

  private IOException connectError(IOException e) {
    String m = String.valueOf(e.getMessage());
    if (m.contains("bad_certificate") || m.contains("certificate_required")) {
      return new IOException("TLS handshake with " + host + " failed: " + describe(e) + "; the registry asks for a client"
          + " certificate: put NAME.cert and NAME.key (PEM) in the --cert-dir DIR", e);
    }
    if (e instanceof SSLHandshakeException || e.getCause() instanceof SSLHandshakeException) {
      return new IOException("TLS handshake with " + host + " failed: " + describe(e)
          + "; to trust its certificate, pass --cert-dir DIR holding its CA as DIR/ca.crt"
          + " (or, for a test registry only, --tls-verify=false)", e);
    }
    if (e instanceof SSLException) {
      return new IOException("TLS with " + host + " failed: " + describe(e)
          + " (a plain-http registry needs --tls-verify=false)", e);
    }
    return new IOException("cannot reach registry " + host + ": " + describe(e), e);
  }

  /** Returns a short reason for a network failure. */
  static String describe(IOException e) {
    if (e instanceof ConnectException) {
      return "connection refused";
    }
    if (e instanceof HttpConnectTimeoutException) {
      return "connection timed out";
    }
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  URI uri(String target) {
    return target.startsWith("http://") || target.startsWith("https://")
        ? URI.create(target) : URI.create(scheme + "://" + host + target);
  }

  /**
   * Sends {@code request}, authenticating as the registry asks and following redirects; the
   * caller owns the body of the response returned.
   */
  HttpResponse<InputStream> send(Request request) throws IOException {
    URI uri = uri(request.target());
    HttpResponse<InputStream> r = sendOnce(request, uri);
    if (r.statusCode() == 401) {
      String challenge = r.headers().firstValue("WWW-Authenticate").orElse(null);
      errorText(r);
      auth.challenged(challenge, request.scope());
      r = sendOnce(request, uri);
      if (r.statusCode() == 401) {
        throw auth.unauthorized(errorText(r));
      }
    }
    for (int hops = 0; isRedirect(r.statusCode()) && (request.method().equals("GET") || request.method().equals("HEAD")); hops++) {
      String location = r.headers().firstValue("Location").orElseThrow(() ->
          new RegistryException(502, host + " redirected without a Location"));
      r.body().close();
      if (hops == MAX_REDIRECTS) {
        throw new RegistryException(502, "too many redirects from " + host);
      }
      uri = uri.resolve(location);
      r = sendOnce(request, uri);
    }
    return r;
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  private HttpResponse<InputStream> sendOnce(Request request, URI uri) throws IOException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10));
    request.headers().forEach(b::header);
    HttpRequest.BodyPublisher body = request.body() != null ? request.body().get() : HttpRequest.BodyPublishers.noBody();
    b.method(request.method(), body);
    // Credentials are for the registry alone: a redirect elsewhere gets none.
    String authorization = isRegistry(uri) ? auth.header(request.scope()) : null;
    try {
      return exchange(b, authorization);
    } catch (InterruptedIOException e) {
      throw e;
    } catch (IOException e) {
      // The JDK's exceptions often have no message ("ConnectException"): say what failed where.
      throw new IOException(request.method() + " " + uri.getPath() + " at " + uri.getAuthority() + ": " + describe(e), e);
    }
  }

  private boolean isRegistry(URI uri) {
    return uri.getScheme().equals(scheme) && uri.getAuthority().equals(host);
  }

  private HttpResponse<InputStream> exchange(HttpRequest.Builder b, String authorization) throws IOException {
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    try {
      return client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted talking to " + host);
    }
  }

  /** Reads the registry's error body into "code: message", closing the response. */
  static String errorText(HttpResponse<InputStream> r) throws IOException {
    byte[] bytes;
    try (InputStream in = r.body()) {
      bytes = in.readNBytes(1 << 16);
    }
    try {
      JsonNode errors = ImageJson.mapper().readTree(bytes).path("errors");
      if (errors.isArray() && errors.size() > 0) {
        JsonNode e = errors.get(0);
        return e.path("code").asText("").toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + ": " + e.path("message").asText("");
      }
    } catch (IOException notJson) {
      // Some proxies answer in HTML; the status says enough.
    }
    return "";
  }

  /** Fails with the registry's error for an unexpected answer to {@code what}. */
  RegistryException unexpected(HttpResponse<InputStream> r, String what) throws IOException {
    String text = errorText(r);
    return new RegistryException(r.statusCode(), what + " at " + host + ": " + (text.isEmpty() ? "HTTP " + r.statusCode() : text));
  }
}
