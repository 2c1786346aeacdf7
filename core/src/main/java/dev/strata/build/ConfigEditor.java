package dev.strata.build;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.digest.Digest;
import dev.strata.image.History;
import dev.strata.image.Platform;
import dev.strata.image.json.ImageJson;
import dev.strata.image.json.InvalidImageJsonException;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Changes an image config's fields: what a container of the image runs ({@code Entrypoint},
 * {@code Cmd}, {@code Env}, {@code WorkingDir}, {@code User}, ...), labels, ports and volumes,
 * the times and the history. Every field it is not asked to change, those Strata does not model
 * included, stays as it was; an unset field is left out rather than written empty, as buildah
 * and Docker leave them out.
 */
public final class ConfigEditor {
  private final ObjectNode root;

  private ConfigEditor(ObjectNode root) {
    this.root = root;
  }

  /** Edits a copy of the config {@code raw}. */
  static ConfigEditor of(byte[] raw) throws IOException {
    ImageJson.parseConfig(raw); // the checks a pull makes
    JsonNode node = ImageJson.mapper().readTree(raw);
    if (!(node instanceof ObjectNode object)) {
      throw new InvalidImageJsonException("image config: not a JSON object");
    }
    return new ConfigEditor(object);
  }

  /** The config of an image with no layers, for {@code platform}, in the spec's field order. */
  static byte[] empty(Platform platform, Instant created) {
    ObjectNode root = ImageJson.mapper().createObjectNode();
    root.put("created", created.toString());
    root.put("architecture", platform.architecture());
    root.put("os", platform.os());
    if (platform.variant() != null) {
      root.put("variant", platform.variant());
    }
    root.putObject("config");
    ObjectNode rootfs = root.putObject("rootfs");
    rootfs.put("type", "layers");
    rootfs.putArray("diff_ids");
    return ImageJson.bytes(root);
  }

  byte[] bytes() {
    return ImageJson.bytes(root);
  }

  private ObjectNode container() {
    JsonNode c = root.get("config");
    return c instanceof ObjectNode o ? o : root.putObject("config");
  }

  private ConfigEditor list(String field, List<String> values) {
    if (values == null) {
      container().remove(field);
    } else {
      ArrayNode a = container().putArray(field);
      values.forEach(a::add);
    }
    return this;
  }

  private ConfigEditor text(String field, String value) {
    if (value == null || value.isEmpty()) {
      container().remove(field);
    } else {
      container().put(field, value);
    }
    return this;
  }

  /** Sets what a container runs (null: nothing, the field removed). */
  public ConfigEditor entrypoint(List<String> entrypoint) {
    return list("Entrypoint", entrypoint);
  }

  /** Sets the arguments of the entrypoint, or the command when there is none (null: removed). */
  public ConfigEditor cmd(List<String> cmd) {
    return list("Cmd", cmd);
  }

  /** Sets the shell of shell-form instructions (Docker's field; OCI has none). */
  public ConfigEditor shell(List<String> shell) {
    return list("Shell", shell);
  }

  /**
   * Sets {@code name=value} in the environment, at its end: an earlier value of {@code name}
   * goes, as buildah replaces one.
   */
  public ConfigEditor env(String name, String value) {
    if (name.isEmpty() || name.contains("=")) {
      throw new IllegalArgumentException("environment variable name '" + name + "' is empty or holds '='");
    }
    JsonNode old = container().get("Env");
    ArrayNode env = container().putArray("Env");
    if (old instanceof ArrayNode a) {
      for (JsonNode e : a) {
        String s = e.asText();
        if (!s.equals(name) && !s.startsWith(name + "=")) {
          env.add(s);
        }
      }
    }
    env.add(name + "=" + value);
    return this;
  }

  /** Sets the directory a container starts in. */
  public ConfigEditor workingDir(String dir) {
    return text("WorkingDir", dir);
  }

  /** Sets the user (and group) a container runs as: {@code name}, {@code uid}, {@code uid:gid}. */
  public ConfigEditor user(String user) {
    return text("User", user);
  }

  /** Sets the signal that stops a container. */
  public ConfigEditor stopSignal(String signal) {
    return text("StopSignal", signal);
  }

  /** Sets a label; a null value removes it. */
  public ConfigEditor label(String name, String value) {
    ObjectNode labels = container().get("Labels") instanceof ObjectNode o ? o : container().putObject("Labels");
    if (value == null) {
      labels.remove(name);
    } else {
      labels.put(name, value);
    }
    sort(labels);
    return this;
  }

  /** Adds a port a container listens on: {@code 80}, {@code 80/tcp}, {@code 53/udp}. */
  public ConfigEditor exposedPort(String port) {
    String p = port.contains("/") ? port : port + "/tcp";
    ObjectNode ports = container().get("ExposedPorts") instanceof ObjectNode o ? o : container().putObject("ExposedPorts");
    ports.putObject(p);
    sort(ports);
    return this;
  }

  /** Adds a directory that holds a container's data, to be a volume. */
  public ConfigEditor volume(String path) {
    ObjectNode volumes = container().get("Volumes") instanceof ObjectNode o ? o : container().putObject("Volumes");
    volumes.putObject(path);
    sort(volumes);
    return this;
  }

  /**
   * Sets the health check: {@code test} as Docker writes it ({@code ["CMD", ...]},
   * {@code ["CMD-SHELL", "..."]} or {@code ["NONE"]}); the durations in nanoseconds, 0 left out.
   */
  public ConfigEditor healthcheck(List<String> test, long intervalNanos, long timeoutNanos, long startPeriodNanos,
      int retries) {
    ObjectNode h = container().putObject("Healthcheck");
    ArrayNode t = h.putArray("Test");
    test.forEach(t::add);
    if (intervalNanos > 0) {
      h.put("Interval", intervalNanos);
    }
    if (timeoutNanos > 0) {
      h.put("Timeout", timeoutNanos);
    }
    if (startPeriodNanos > 0) {
      h.put("StartPeriod", startPeriodNanos);
    }
    if (retries > 0) {
      h.put("Retries", retries);
    }
    return this;
  }

  /** Adds triggers that run when the image is the base of a build. */
  public ConfigEditor onBuild(String instruction) {
    ArrayNode a = container().get("OnBuild") instanceof ArrayNode o ? o : container().putArray("OnBuild");
    a.add(instruction);
    return this;
  }

  /** Sets the image's creation time. */
  public ConfigEditor created(Instant time) {
    root.put("created", time.toString());
    return this;
  }

  /** Sets the image's author. */
  public ConfigEditor author(String author) {
    if (author == null) {
      root.remove("author");
    } else {
      root.put("author", author);
    }
    return this;
  }

  /** Appends a layer's diff id to {@code rootfs.diff_ids}. */
  ConfigEditor appendDiffId(Digest diffId) {
    ((ArrayNode) root.get("rootfs").get("diff_ids")).add(diffId.toString());
    return this;
  }

  /** Replaces {@code rootfs.diff_ids}. */
  ConfigEditor diffIds(List<Digest> diffIds) {
    ArrayNode a = ((ObjectNode) root.get("rootfs")).putArray("diff_ids");
    diffIds.forEach(d -> a.add(d.toString()));
    return this;
  }

  /** Appends a history entry. */
  public ConfigEditor history(History h) {
    ObjectNode e = root.withArray("history").addObject();
    putIfSet(e, "created", h.created());
    putIfSet(e, "created_by", h.createdBy());
    putIfSet(e, "author", h.author());
    putIfSet(e, "comment", h.comment());
    if (h.emptyLayer()) {
      e.put("empty_layer", true);
    }
    return this;
  }

  /** Replaces the history with {@code entries}. */
  ConfigEditor replaceHistory(List<History> entries) {
    root.remove("history");
    entries.forEach(this::history);
    return this;
  }

  /** Returns the environment as name and value. */
  public Map<String, String> environment() {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    if (container().get("Env") instanceof ArrayNode a) {
      for (JsonNode e : a) {
        String s = e.asText();
        int eq = s.indexOf('=');
        out.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "" : s.substring(eq + 1));
      }
    }
    return out;
  }

  /** Orders an object's fields by name, as Go writes a map: the same config whatever the order of the instructions. */
  private static void sort(ObjectNode node) {
    java.util.TreeMap<String, JsonNode> sorted = new java.util.TreeMap<>();
    node.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue()));
    node.removeAll();
    sorted.forEach(node::set);
  }

  private static void putIfSet(ObjectNode node, String field, String value) {
    if (value != null) {
      node.put(field, value);
    }
  }
}
