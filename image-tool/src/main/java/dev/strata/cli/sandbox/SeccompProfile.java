package dev.strata.cli.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * A seccomp profile in the format podman reads (containers-common's seccomp.json, Docker's
 * format: rules that apply only with or without some capabilities, on some architectures, from
 * some kernel on) turned into the OCI spec's {@code linux.seccomp} for one container, as podman
 * turns it: the rules its capabilities, this machine's architecture and kernel select.
 */
final class SeccompProfile {
  /** Where containers-common installs the profile podman uses by default. */
  static final Path PODMAN_DEFAULT = Path.of("/usr/share/containers/seccomp.json");

  private static final ObjectMapper JSON = new ObjectMapper();

  private SeccompProfile() {}

  /** {@code profile} for a container whose bounding set is {@code caps}. */
  static ObjectNode forContainer(Path profile, Set<String> caps) throws IOException {
    JsonNode in;
    try {
      in = JSON.readTree(profile.toFile());
    } catch (NoSuchFileException | java.io.FileNotFoundException e) {
      throw new IOException("the seccomp profile " + profile + " is missing" + (profile.equals(PODMAN_DEFAULT)
          ? " (Debian: apt-get install golang-github-containers-common)" : "")
          + "; --security-opt seccomp=unconfined runs without one", e);
    }
    if (in == null || !in.path("defaultAction").isTextual() || !in.path("syscalls").isArray()) {
      throw new IOException("the seccomp profile " + profile + " has no defaultAction or no syscalls");
    }
    String arch = goArch();
    ObjectNode out = JSON.createObjectNode();
    out.put("defaultAction", in.get("defaultAction").asText());
    if (in.has("defaultErrnoRet")) {
      out.put("defaultErrnoRet", in.get("defaultErrnoRet").asInt());
    }
    ArrayNode arches = out.putArray("architectures");
    String native_ = seccompArch(arch);
    for (JsonNode m : in.path("archMap")) {
      if (m.path("architecture").asText().equals(native_)) {
        arches.add(native_);
        m.path("subArchitectures").forEach(a -> arches.add(a.asText()));
      }
    }
    ArrayNode rules = out.putArray("syscalls");
    int[] kernel = kernelVersion(System.getProperty("os.version"));
    for (JsonNode rule : in.get("syscalls")) {
      if (!applies(rule.path("includes"), rule.path("excludes"), caps, arch, kernel)) {
        continue;
      }
      ObjectNode r = rules.addObject();
      r.set("names", rule.get("names"));
      r.put("action", rule.path("action").asText());
      if (rule.has("errnoRet")) {
        r.put("errnoRet", rule.get("errnoRet").asInt());
      }
      if (rule.path("args").isArray() && rule.get("args").size() > 0) {
        r.set("args", rule.get("args"));
      }
    }
    return out;
  }

  private static boolean applies(JsonNode includes, JsonNode excludes, Set<String> caps, String arch, int[] kernel) {
    for (JsonNode c : includes.path("caps")) {
      if (!caps.contains(c.asText())) {
        return false;
      }
    }
    if (includes.path("arches").size() > 0 && !contains(includes.get("arches"), arch)) {
      return false;
    }
    if (includes.path("minKernel").isTextual()
        && compare(kernel, kernelVersion(includes.get("minKernel").asText())) < 0) {
      return false;
    }
    for (JsonNode c : excludes.path("caps")) {
      if (caps.contains(c.asText())) {
        return false;
      }
    }
    return !contains(excludes.path("arches"), arch);
  }

  private static boolean contains(JsonNode array, String value) {
    for (JsonNode v : array) {
      if (v.asText().equals(value)) {
        return true;
      }
    }
    return false;
  }

  /** This machine's architecture as Go names it, as the profile's rules do. */
  static String goArch() {
    String a = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    return switch (a) {
      case "x86_64", "amd64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      default -> a;
    };
  }

  private static String seccompArch(String goArch) {
    return switch (goArch) {
      case "amd64" -> "SCMP_ARCH_X86_64";
      case "arm64" -> "SCMP_ARCH_AARCH64";
      default -> "SCMP_ARCH_" + goArch.toUpperCase(Locale.ROOT);
    };
  }

  /** The first two numbers of a kernel release ("6.18.44-fc" is 6.18). */
  static int[] kernelVersion(String release) {
    String[] parts = release.split("[^0-9]+");
    int major = parts.length > 0 && !parts[0].isEmpty() ? Integer.parseInt(parts[0]) : 0;
    int minor = parts.length > 1 && !parts[1].isEmpty() ? Integer.parseInt(parts[1]) : 0;
    return new int[] {major, minor};
  }

  private static int compare(int[] a, int[] b) {
    return a[0] != b[0] ? Integer.compare(a[0], b[0]) : Integer.compare(a[1], b[1]);
  }
}
