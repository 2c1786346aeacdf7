package dev.strata.registry;

import dev.strata.digest.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Blob upload sessions, {@code POST /v2/REPO/blobs/uploads/}: a cross-repository mount, or a
 * session that takes the bytes in one PUT (monolithic) or in PATCHed chunks, closed by a PUT
 * naming the digest. Each answer carries the Location of the next step.
 */
final class Uploads {
  private static final Map<String, String> OCTETS = Map.of("Content-Type", "application/octet-stream");

  private Uploads() {}

  /** Opens a session; returns its location. */
  static String start(Transport t, String repo) throws IOException {
    HttpResponse<InputStream> r = t.send(new Transport.Request("POST", "/v2/" + repo + "/blobs/uploads/", Map.of(),
        HttpRequest.BodyPublishers::noBody, Scopes.push(repo)));
    if (r.statusCode() != 202) {
      throw t.unexpected(r, "starting an upload to " + repo);
    }
    r.body().close();
    return location(t, r);
  }

  /**
   * Asks the registry to link {@code digest} from {@code from} into {@code repo}; empty when
   * mounted, else the location of the upload session the registry opened instead.
   */
  static Optional<String> mount(Transport t, String repo, Digest digest, String from) throws IOException {
    String target = "/v2/" + repo + "/blobs/uploads/?mount=" + enc(digest.toString()) + "&from=" + enc(from);
    HttpResponse<InputStream> r = t.send(new Transport.Request("POST", target, Map.of(),
        HttpRequest.BodyPublishers::noBody, Scopes.mount(repo, from)));
    if (r.statusCode() == 201) {
      r.body().close();
      return Optional.empty();
    }
    if (r.statusCode() != 202) {
      throw t.unexpected(r, "mounting " + digest + " from " + from + " into " + repo);
    }
    r.body().close();
    return Optional.of(location(t, r));
  }

  /**
   * Sends the whole blob in one PUT and closes the session; from its file when it has one and
   * the session is on plain http.
   */
  static void monolithic(Transport t, String repo, String location, Digest digest, long size, BlobBytes bytes) throws IOException {
    URI uri = t.uri(withDigest(location, digest));
    Path file = bytes.file();
    if (file != null && "http".equals(uri.getScheme())) {
      FileUpload.Answer a = t.sendFile("PUT", uri, OCTETS, file, size, bytes::sent, Scopes.push(repo));
      if (a.status() != 201) {
        throw t.unexpected(a, "completing the upload of " + digest);
      }
      return;
    }
    HttpResponse<InputStream> r = t.send(new Transport.Request("PUT", withDigest(location, digest), OCTETS,
        () -> HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(bytes::openUnchecked), size),
        Scopes.push(repo)));
    finish(t, r, digest);
  }

  /** Sends the blob in PATCHed chunks of {@code chunkSize}, then closes the session. */
  static void chunked(Transport t, String repo, String location, Digest digest, long size, BlobBytes bytes, long chunkSize)
      throws IOException {
    String at = location;
    try (InputStream in = bytes.open()) {
      long offset = 0;
      while (offset < size) {
        byte[] chunk = in.readNBytes((int) Math.min(chunkSize, size - offset));
        if (chunk.length == 0) {
          throw new IOException("blob " + digest + " ended at " + offset + " of " + size + " bytes");
        }
        Map<String, String> headers = Map.of("Content-Type", "application/octet-stream",
            "Content-Range", offset + "-" + (offset + chunk.length - 1));
        HttpResponse<InputStream> r = t.send(new Transport.Request("PATCH", at, headers,
            () -> HttpRequest.BodyPublishers.ofByteArray(chunk), Scopes.push(repo)));
        if (r.statusCode() != 202) {
          throw t.unexpected(r, "uploading bytes " + offset + "-" + (offset + chunk.length - 1) + " of " + digest);
        }
        r.body().close();
        at = location(t, r);
        offset += chunk.length;
      }
    }
    HttpResponse<InputStream> r = t.send(new Transport.Request("PUT", withDigest(at, digest), Map.of(),
        HttpRequest.BodyPublishers::noBody, Scopes.push(repo)));
    finish(t, r, digest);
  }

  private static void finish(Transport t, HttpResponse<InputStream> r, Digest digest) throws IOException {
    if (r.statusCode() != 201) {
      throw t.unexpected(r, "completing the upload of " + digest);
    }
    r.body().close();
  }

  private static String location(Transport t, HttpResponse<InputStream> r) throws RegistryException {
    return r.headers().firstValue("Location").orElseThrow(() ->
        new RegistryException(502, t.host() + " opened an upload session without a Location"));
  }

  private static String withDigest(String location, Digest digest) {
    return location + (location.contains("?") ? "&" : "?") + "digest=" + enc(digest.toString());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
