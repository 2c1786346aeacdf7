package dev.strata.registry;

import dev.strata.digest.Digest;
import java.util.regex.Pattern;

/**
 * A registry image reference, {@code [HOST[:PORT]/]REPO[:TAG][@DIGEST]}, read as Docker reads
 * it: the first component is a host only if it has a '.' or ':' or is {@code localhost};
 * otherwise the image lives on Docker Hub, where one-component names are under
 * {@code library/}.
 */
public record Reference(String host, String repository, String tag, Digest digest) {
  /** The name Docker Hub goes by in references and credentials. */
  public static final String DOCKER_HUB = "docker.io";
  private static final Pattern REPO = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

  public Reference {
    if (tag == null && digest == null) {
      tag = "latest";
    }
  }

  /** Parses {@code docker://REF} or a bare {@code REF}; throws IllegalArgumentException. */
  public static Reference parse(String text) {
    String s = text.startsWith("docker://") ? text.substring("docker://".length()) : text;
    if (s.isEmpty()) {
      throw new IllegalArgumentException("empty image reference");
    }
    Digest digest = null;
    int at = s.indexOf('@');
    if (at >= 0) {
      digest = Digest.parse(s.substring(at + 1));
      s = s.substring(0, at);
    }
    String host = DOCKER_HUB;
    int slash = s.indexOf('/');
    if (slash > 0) {
      String first = s.substring(0, slash);
      if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
        host = first;
        s = s.substring(slash + 1);
      }
    }
    String tag = null;
    int colon = s.lastIndexOf(':');
    if (colon >= 0) {
      tag = s.substring(colon + 1);
      s = s.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        throw new IllegalArgumentException("invalid tag '" + tag + "' in image reference '" + text + "'");
      }
    }
    if (host.equals(DOCKER_HUB) && !s.contains("/")) {
      s = "library/" + s;
    }
    if (!REPO.matcher(s).matches()) {
      throw new IllegalArgumentException("invalid repository '" + s + "' in image reference '" + text
          + "' (lower case letters, digits and separators)");
    }
    return new Reference(host, s, tag, digest);
  }

  /** The host that serves Docker Hub's API. */
  static final String DOCKER_HUB_ENDPOINT = "registry-1.docker.io";

  /** Returns the host:port that serves the API: Docker Hub's is not its name. */
  public String endpoint() {
    return endpoint(host);
  }

  static String endpoint(String host) {
    return host.equals(DOCKER_HUB) ? DOCKER_HUB_ENDPOINT : host;
  }

  /** Returns what to ask the manifest endpoint for: the digest if there is one, else the tag. */
  public String manifestRef() {
    return digest != null ? digest.toString() : tag;
  }

  /** Returns the last path component of the repository, as a default local name. */
  public String baseName() {
    return repository.substring(repository.lastIndexOf('/') + 1) + (tag != null ? ":" + tag : "");
  }

  @Override
  public String toString() {
    return host + "/" + repository + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
  }
}
