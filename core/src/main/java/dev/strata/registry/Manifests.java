package dev.strata.registry;

import dev.strata.digest.Digest;
import dev.strata.digest.DigestMismatchException;
import dev.strata.image.MediaType;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

/** {@code GET} and {@code PUT /v2/REPO/manifests/REF}: manifests and indexes, verified whole. */
final class Manifests {
  static final String ACCEPT = String.join(", ", MediaType.OCI_MANIFEST, MediaType.OCI_INDEX,
      MediaType.DOCKER_MANIFEST, MediaType.DOCKER_MANIFEST_LIST);
  private static final int MAX_BYTES = 4 << 20;

  private Manifests() {}

  /** A manifest as the registry served it. */
  record Fetched(String mediaType, Digest digest, byte[] bytes) {}

  /**
   * Fetches {@code ref} (tag or digest). The bytes must hash to the digest asked for, or, for
   * a tag, to the Docker-Content-Digest the registry announces.
   */
  static Fetched get(Transport t, String repo, String ref) throws IOException {
    HttpResponse<InputStream> r = t.send(Transport.Request.get("/v2/" + repo + "/manifests/" + ref,
        Scopes.pull(repo), Map.of("Accept", ACCEPT)));
    if (r.statusCode() == 404) {
      throw new RegistryException(404, "manifest unknown: " + t.host() + "/" + repo + (ref.contains(":") ? "@" : ":") + ref
          + " does not exist (" + Transport.errorText(r) + ")");
    }
    if (r.statusCode() != 200) {
      throw t.unexpected(r, "GET manifest " + repo + ":" + ref);
    }
    byte[] bytes;
    try (InputStream in = r.body()) {
      bytes = in.readNBytes(MAX_BYTES + 1);
    }
    if (bytes.length > MAX_BYTES) {
      throw new IOException("manifest " + repo + ":" + ref + " at " + t.host() + " is larger than 4 MiB; refusing it");
    }
    Digest actual = Digest.sha256(bytes);
    Digest expected = ref.contains(":") ? Digest.parse(ref)
        : r.headers().firstValue("Docker-Content-Digest").map(Digest::parse).orElse(null);
    if (expected != null && expected.algorithm().equals(Digest.SHA256) && !expected.equals(actual)) {
      throw DigestMismatchException.of("manifest " + repo + ":" + ref + " from " + t.host(), expected, actual);
    }
    String type = r.headers().firstValue("Content-Type").map(v -> v.split(";")[0].trim()).orElse(null);
    return new Fetched(type, actual, bytes);
  }

  /** Puts {@code bytes} as {@code ref}; returns the digest the registry stored. */
  static Digest put(Transport t, String repo, String ref, String mediaType, byte[] bytes) throws IOException {
    HttpResponse<InputStream> r = t.send(new Transport.Request("PUT", "/v2/" + repo + "/manifests/" + ref,
        Map.of("Content-Type", mediaType), () -> HttpRequest.BodyPublishers.ofByteArray(bytes), Scopes.push(repo)));
    if (r.statusCode() != 201 && r.statusCode() != 200) {
      throw t.unexpected(r, "PUT manifest " + repo + ":" + ref);
    }
    r.body().close();
    Digest ours = Digest.sha256(bytes);
    Digest theirs = r.headers().firstValue("Docker-Content-Digest").map(Digest::parse).orElse(ours);
    if (!theirs.equals(ours)) {
      throw DigestMismatchException.of("manifest stored at " + t.host(), ours, theirs);
    }
    return ours;
  }
}
