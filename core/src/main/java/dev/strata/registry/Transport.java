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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLHandshakeException;

/**
 * The HTTP exchanges with one registry: picks https (or, with TLS verification off, falls back
 * to http as skopeo does for insecure registries), answers auth challenges, and follows
 * redirects by hand so that {@code Authorization} never goes to another host (blob downloads
 * are redirected to storage that must not see the registry's token).
 */
final class Transport {
  private static final int MAX_REDIRECTS = 5;
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(10);
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

  /** How long a refusal may take once a server has asked for a client certificate there is none of. */
  private static final Duration CLIENT_CERT_GRACE = Duration.ofSeconds(5);

  /** Connects to {@code host} (host[:port]), checking it speaks the API at /v2/. */
  static Transport connect(String host, Credentials credentials, RegistryOptions options) throws IOException {
    TlsContexts.ClientCertNotice notice = new TlsContexts.ClientCertNotice();
    HttpClient client = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(CONNECT_TIMEOUT)
        .sslContext(TlsContexts.create(options, notice))
        .build();
    Transport t = new Transport(host, client, new TokenAuth(host, credentials, client), options);
    t.ping(notice);
    return t;
  }

  String host() {
    return host;
  }

  /**
   * Loads the classes a connection runs on without making one (no network): a client as
   * {@link #connect} builds it, requests as {@link #send} builds them, an answer's body as the
   * client hands it over, an error body parsed, and a TLS client hello with the failure a
   * plain-http server's answer to it gives (the https probe of a plain-http registry). For the
   * class-data archive that bin/strata records.
   */
  static void preload() throws IOException, GeneralSecurityException {
    SSLContext tls = TlsContexts.create(new RegistryOptions(null, false, null));
    HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(CONNECT_TIMEOUT).sslContext(tls).build();
    URI uri = URI.create("http://localhost/v2/");
    for (String method : new String[] {"GET", "HEAD", "POST", "PUT", "PATCH"}) {
      HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).version(HttpClient.Version.HTTP_1_1)
          .header("Content-Type", "application/octet-stream").method(method, HttpRequest.BodyPublishers.noBody()).build();
    }
    HttpRequest.BodyPublishers.ofByteArray(new byte[1]);
    HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> InputStream.nullInputStream()), 1);
    HttpResponse.ResponseInfo info = new HttpResponse.ResponseInfo() {
      @Override
      public int statusCode() {
        return 404;
      }

      @Override
      public java.net.http.HttpHeaders headers() {
        return java.net.http.HttpHeaders.of(Map.of("Content-Type", java.util.List.of("application/json")), (k, v) -> true);
      }

      @Override
      public HttpClient.Version version() {
        return HttpClient.Version.HTTP_1_1;
      }
    };
    HttpResponse.BodySubscriber<InputStream> body = HttpResponse.BodyHandlers.ofInputStream().apply(info);
    body.onSubscribe(new java.util.concurrent.Flow.Subscription() {
      @Override
      public void request(long n) {}

      @Override
      public void cancel() {}
    });
    body.onNext(java.util.List.of(java.nio.ByteBuffer.wrap(
        "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown\"}]}".getBytes(StandardCharsets.UTF_8))));
    body.onComplete();
    try (InputStream in = body.getBody().toCompletableFuture().join()) {
      errorText(in.readAllBytes());
    }
    SSLEngine engine = tls.createSSLEngine("localhost", 443);
    engine.setUseClientMode(true);
    SSLParameters parameters = engine.getSSLParameters();
    parameters.setApplicationProtocols(new String[] {"h2", "http/1.1"});
    engine.setSSLParameters(parameters);
    java.nio.ByteBuffer hello = java.nio.ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    engine.wrap(java.nio.ByteBuffer.allocate(0), hello);
    for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
      task.run();
    }
    try {
      engine.unwrap(java.nio.ByteBuffer.wrap("HTTP/1.0 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII)),
          java.nio.ByteBuffer.allocate(engine.getSession().getApplicationBufferSize()));
    } catch (SSLException expected) {
      // what a plain-http server's answer to a hello gives
    }
  }

  private void ping(TlsContexts.ClientCertNotice notice) throws IOException {
    HttpResponse<InputStream> r;
    if (options.tlsVerify()) {
      scheme = "https";
      try {
        r = firstAnswer(HttpRequest.newBuilder(uri("/v2/")).timeout(Duration.ofMinutes(1)).GET().build(), notice);
      } catch (IOException e) {
        throw connectError(e);
      }
    } else {
      // https is preferred, plain http taken when https fails: both are asked at once, so
      // that a plain-http registry costs one wait, not a failed TLS handshake and then a GET.
      CompletableFuture<HttpResponse<InputStream>> plain = client.sendAsync(
          HttpRequest.newBuilder(URI.create("http://" + host + "/v2/")).version(HttpClient.Version.HTTP_1_1).GET().build(),
          HttpResponse.BodyHandlers.ofInputStream());
      try {
        // Some plain-http servers wait for a request line that a TLS hello never sends: when
        // http is allowed, do not wait long on https.
        r = exchange(HttpRequest.newBuilder(URI.create("https://" + host + "/v2/")).timeout(Duration.ofSeconds(5)).GET(),
            null);
        scheme = "https";
        plain.cancel(true);
        plain.thenAccept(unused -> close(unused));
      } catch (IOException e) {
        try {
          r = plain.get();
          scheme = "http";
        } catch (ExecutionException failed) {
          IOException cause = failed.getCause() instanceof IOException io ? io
              : new IOException(String.valueOf(failed.getCause()), failed.getCause());
          cause.addSuppressed(e);
          throw connectError(cause);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted talking to " + host);
        }
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

  private static void close(HttpResponse<InputStream> r) {
    try {
      r.body().close();
    } catch (IOException ignored) {
      // the answer was not wanted
    }
  }

  /**
   * The answer to the first request of a connection; once the server has asked for a client
   * certificate there is none of, a refusal is expected within {@link #CLIENT_CERT_GRACE}, and
   * no answer by then is that refusal lost (TLS 1.3 sends it after the handshake).
   */
  private HttpResponse<InputStream> firstAnswer(HttpRequest request, TlsContexts.ClientCertNotice notice)
      throws IOException {
    CompletableFuture<HttpResponse<InputStream>> answer = client.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream());
    long askedAt = 0;
    try {
      while (true) {
        try {
          return answer.get(100, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
          if (notice.asked()) {
            askedAt = askedAt == 0 ? System.nanoTime() : askedAt;
            if (System.nanoTime() - askedAt > CLIENT_CERT_GRACE.toNanos()) {
              answer.cancel(true);
              throw new IOException("no answer: certificate_required (none was given)");
            }
          }
        }
      }
    } catch (ExecutionException e) {
      IOException io = e.getCause() instanceof IOException c ? c : new IOException(String.valueOf(e.getCause()), e.getCause());
      if (notice.asked() && !String.valueOf(io.getMessage()).contains("certificate")) {
        // The refusal itself can be lost when the server closes first (a ClosedChannelException
        // under load): a server that asked for a certificate there is none of refused for that.
        throw new IOException("connection closed after the server asked for a client certificate:"
            + " certificate_required (none was given)", io);
      }
      throw io;
    } catch (InterruptedException e) {
      answer.cancel(true);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted talking to " + host);
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
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT);
    if ("http".equals(uri.getScheme())) {
      // No h2c upgrade offers on plain http: registries answer HTTP/1.1 there.
      b.version(HttpClient.Version.HTTP_1_1);
    }
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

  /**
   * Sends {@code method uri} with the bytes of {@code file} as its body, by {@link FileUpload}:
   * a plain-http URI only. Authenticates as {@link #send} does; redirects are not followed.
   */
  FileUpload.Answer sendFile(String method, URI uri, Map<String, String> headers, Path file, long size,
      LongConsumer sent, String scope) throws IOException {
    FileUpload.Answer a = sendFileOnce(method, uri, headers, file, size, sent, scope);
    if (a.status() == 401) {
      auth.challenged(a.header("WWW-Authenticate"), scope);
      a = sendFileOnce(method, uri, headers, file, size, sent, scope);
      if (a.status() == 401) {
        throw auth.unauthorized(errorText(a.body()));
      }
    }
    return a;
  }

  private FileUpload.Answer sendFileOnce(String method, URI uri, Map<String, String> headers, Path file, long size,
      LongConsumer sent, String scope) throws IOException {
    Map<String, String> all = new java.util.LinkedHashMap<>(headers);
    String authorization = isRegistry(uri) ? auth.header(scope) : null;
    if (authorization != null) {
      all.put("Authorization", authorization);
    }
    try {
      return FileUpload.send(method, uri, all, file, size, sent, CONNECT_TIMEOUT, REQUEST_TIMEOUT);
    } catch (InterruptedIOException e) {
      throw e;
    } catch (IOException e) {
      throw new IOException(method + " " + uri.getPath() + " at " + uri.getAuthority() + ": " + describe(e), e);
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
    return errorText(bytes);
  }

  /** The registry's error body as "code: message", or "". */
  static String errorText(byte[] bytes) {
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
  RegistryException unexpected(FileUpload.Answer a, String what) {
    String text = errorText(a.body());
    return new RegistryException(a.status(), what + " at " + host + ": " + (text.isEmpty() ? "HTTP " + a.status() : text));
  }

  /** Fails with the registry's error for an unexpected answer to {@code what}. */
  RegistryException unexpected(HttpResponse<InputStream> r, String what) throws IOException {
    String text = errorText(r);
    return new RegistryException(r.statusCode(), what + " at " + host + ": " + (text.isEmpty() ? "HTTP " + r.statusCode() : text));
  }
}
