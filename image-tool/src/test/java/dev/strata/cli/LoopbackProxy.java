package dev.strata.cli;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A plain-http proxy on loopback in front of a real registry, that can misbehave on blob
 * downloads: cut the connection part way, flip a byte, or redirect to a second listener (a
 * stand-in for a storage host) that records the headers it gets.
 */
final class LoopbackProxy implements AutoCloseable {
  enum Fault { NONE, CUT, CUT_ONCE, CORRUPT, REDIRECT }

  private static final Set<String> HOP = Set.of("host", "connection", "content-length", "transfer-encoding",
      "expect", "upgrade", "keep-alive", "date");
  private final String upstream;
  private final HttpServer front;
  private final HttpServer storage;
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  private final Map<String, byte[]> parked = new ConcurrentHashMap<>();
  /** Headers of each blob GET the proxy saw, and of each request the storage listener saw. */
  final List<Headers> blobRequests = new CopyOnWriteArrayList<>();
  final List<Headers> storageRequests = new CopyOnWriteArrayList<>();
  volatile Fault fault = Fault.NONE;
  volatile long cutAfter = 100_000;
  volatile Runnable onCut = () -> { };

  static {
    // The JDK server waits for a request line forever; a client probing with a TLS hello (as
    // strata does first with --tls-verify=false) should get a closed connection soon instead.
    System.setProperty("sun.net.httpserver.maxReqTime", "1");
  }

  LoopbackProxy(String upstreamHost) throws IOException {
    this.upstream = "http://" + upstreamHost;
    front = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    front.createContext("/", this::forward);
    front.setExecutor(pool);
    storage = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    storage.createContext("/", this::serveParked);
    storage.setExecutor(pool);
    front.start();
    storage.start();
  }

  String host() {
    return "127.0.0.1:" + front.getAddress().getPort();
  }

  private void forward(HttpExchange ex) throws IOException {
    try (ex) {
      byte[] body = ex.getRequestBody().readAllBytes();
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(upstream + ex.getRequestURI()));
      ex.getRequestHeaders().forEach((k, vs) -> {
        if (!HOP.contains(k.toLowerCase())) {
          vs.forEach(v -> b.header(k, v));
        }
      });
      b.method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
          : HttpRequest.BodyPublishers.ofByteArray(body));
      HttpResponse<byte[]> r;
      try {
        r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (IOException e) {
        ex.sendResponseHeaders(502, -1);
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
      byte[] out = r.body();
      boolean blobGet = ex.getRequestMethod().equals("GET") && ex.getRequestURI().getPath().contains("/blobs/sha256:")
          && (r.statusCode() == 200 || r.statusCode() == 206);
      r.headers().map().forEach((k, vs) -> {
        if (!HOP.contains(k.toLowerCase())) {
          ex.getResponseHeaders().put(k, vs);
        }
      });
      if (blobGet) {
        blobRequests.add(ex.getRequestHeaders());
        Fault f = fault;
        if (f == Fault.REDIRECT) {
          String key = "/blob/" + blobRequests.size();
          parked.put(key, out);
          ex.getResponseHeaders().set("Location", "http://127.0.0.1:" + storage.getAddress().getPort() + key);
          ex.sendResponseHeaders(307, -1);
          return;
        }
        if (f == Fault.CORRUPT && out.length > cutAfter) {
          out = out.clone();
          out[out.length / 2] ^= 0x40;
        }
        if ((f == Fault.CUT || f == Fault.CUT_ONCE) && out.length > cutAfter) {
          if (f == Fault.CUT_ONCE) {
            fault = Fault.NONE;
          }
          ex.sendResponseHeaders(r.statusCode(), out.length);
          OutputStream os = ex.getResponseBody();
          os.write(out, 0, (int) cutAfter);
          os.flush();
          onCut.run();
          // Fewer bytes than announced: the server drops the connection.
          throw new IOException("cut on purpose");
        }
      }
      boolean head = ex.getRequestMethod().equals("HEAD");
      ex.sendResponseHeaders(r.statusCode(), head || out.length == 0 ? -1 : out.length);
      if (!head && out.length > 0) {
        ex.getResponseBody().write(out);
      }
    }
  }

  private void serveParked(HttpExchange ex) throws IOException {
    try (ex) {
      storageRequests.add(ex.getRequestHeaders());
      byte[] out = parked.get(ex.getRequestURI().getPath());
      if (out == null) {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      ex.sendResponseHeaders(200, out.length);
      ex.getResponseBody().write(out);
    }
  }

  @Override
  public void close() {
    front.stop(0);
    storage.stop(0);
    pool.shutdownNow();
  }
}
