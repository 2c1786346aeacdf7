package dev.strata.registry;

import dev.strata.digest.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.OptionalLong;

/** {@code HEAD} and {@code GET /v2/REPO/blobs/DIGEST}, the GET from an offset to resume. */
final class Blobs {
  private Blobs() {}

  /** Returns the size the registry has for {@code digest} in {@code repo}, or empty. */
  static OptionalLong head(Transport t, String repo, Digest digest, String scope) throws IOException {
    HttpResponse<InputStream> r = t.send(new Transport.Request("HEAD", "/v2/" + repo + "/blobs/" + digest, Map.of(),
        null, scope));
    r.body().close();
    if (r.statusCode() == 404) {
      return OptionalLong.empty();
    }
    if (r.statusCode() != 200) {
      throw new RegistryException(r.statusCode(), "HEAD blob " + digest + " in " + repo + " at " + t.host()
          + ": HTTP " + r.statusCode());
    }
    return OptionalLong.of(r.headers().firstValueAsLong("Content-Length").orElse(-1));
  }

  /**
   * Opens {@code digest} from byte {@code offset}; the stream starts exactly there (a
   * registry that ignores the Range is refused, the caller then starts over).
   */
  static InputStream open(Transport t, String repo, Digest digest, long offset) throws IOException {
    Map<String, String> headers = offset > 0 ? Map.of("Range", "bytes=" + offset + "-") : Map.of();
    HttpResponse<InputStream> r = t.send(Transport.Request.get("/v2/" + repo + "/blobs/" + digest, Scopes.pull(repo), headers));
    int want = offset > 0 ? 206 : 200;
    if (r.statusCode() == 404) {
      r.body().close();
      throw new RegistryException(404, "blob unknown: " + digest + " is not in " + t.host() + "/" + repo);
    }
    if (r.statusCode() != want) {
      throw t.unexpected(r, "GET blob " + digest + (offset > 0 ? " from byte " + offset : ""));
    }
    return r.body();
  }
}
