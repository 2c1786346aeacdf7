package dev.strata.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.image.json.ImageJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Credentials from the files podman and docker write at login: {@code $REGISTRY_AUTH_FILE},
 * then {@code ~/.docker/config.json}, each {@code {"auths": {HOST: {"auth": base64(USER:PASS)}}}}.
 */
final class DockerConfig {
  private DockerConfig() {}

  /** Returns the files to look in, first match wins. */
  static List<Path> files(Map<String, String> env, String home) {
    List<Path> files = new ArrayList<>();
    String authFile = env.get("REGISTRY_AUTH_FILE");
    if (authFile != null && !authFile.isEmpty()) {
      files.add(Path.of(authFile));
    }
    String dockerConfig = env.get("DOCKER_CONFIG");
    files.add(dockerConfig != null && !dockerConfig.isEmpty()
        ? Path.of(dockerConfig, "config.json") : Path.of(home, ".docker", "config.json"));
    return files;
  }

  /** Returns the credentials stored for {@code host}, if any file has them. */
  static Optional<Credentials> lookup(String host) throws IOException {
    return lookup(host, files(System.getenv(), System.getProperty("user.home")));
  }

  static Optional<Credentials> lookup(String host, List<Path> files) throws IOException {
    for (Path file : files) {
      if (!Files.isRegularFile(file)) {
        continue;
      }
      JsonNode auths = ImageJson.mapper().readTree(Files.readAllBytes(file)).path("auths");
      for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (matches(e.getKey(), host) && e.getValue().hasNonNull("auth")) {
          return Optional.of(decode(e.getValue().get("auth").asText(), file));
        }
      }
    }
    return Optional.empty();
  }

  /** Keys may be bare hosts or old-style URLs ({@code https://index.docker.io/v1/}). */
  private static boolean matches(String key, String host) {
    String k = key.replaceFirst("^https?://", "");
    int slash = k.indexOf('/');
    if (slash >= 0) {
      k = k.substring(0, slash);
    }
    if (host.equals(Reference.DOCKER_HUB)) {
      return k.equals(Reference.DOCKER_HUB) || k.equals("index.docker.io") || k.equals(Reference.DOCKER_HUB_ENDPOINT);
    }
    return k.equals(host);
  }

  private static Credentials decode(String auth, Path file) throws IOException {
    String plain;
    try {
      plain = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IOException("invalid \"auth\" value in " + file + " (not base64)");
    }
    int colon = plain.indexOf(':');
    if (colon <= 0) {
      throw new IOException("invalid \"auth\" value in " + file + " (not USER:PASS)");
    }
    return new Credentials(plain.substring(0, colon), plain.substring(colon + 1));
  }
}
