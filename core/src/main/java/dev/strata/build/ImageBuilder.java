package dev.strata.build;

import dev.strata.image.History;
import dev.strata.image.Image;
import dev.strata.image.Layer;
import dev.strata.image.Platform;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Builds an image on a base, fluently: files added and deleted go into a layer (a new one at
 * each {@link #newLayer()}), settings go into the config, and {@link #build(BuildOptions)} makes
 * the image. Nothing is read or written before then. The base's layers are neither read nor
 * copied: a new image shares them.
 *
 * <pre>{@code
 * Image app = ImageBuilder.from(base)
 *     .copy(Path.of("build/app"), "/app/")
 *     .delete("/usr/share/doc")
 *     .entrypoint("/app/bin/run")
 *     .env("MODE", "production")
 *     .build(BuildOptions.defaults());
 * }</pre>
 */
public final class ImageBuilder {
  private interface FileStep {
    void apply(LayerBuilder layer) throws IOException;
  }

  private final Image base;
  private final Platform platform;
  private final List<List<FileStep>> layers = new ArrayList<>();
  private final List<String> createdBy = new ArrayList<>();
  private final List<Consumer<ConfigEditor>> config = new ArrayList<>();

  private ImageBuilder(Image base, Platform platform) {
    this.base = base;
    this.platform = platform;
    newLayer();
  }

  /** Starts from {@code base}. */
  public static ImageBuilder from(Image base) {
    return new ImageBuilder(base, null);
  }

  /** Starts from nothing: an image for {@code platform} with no layers. */
  public static ImageBuilder scratch(Platform platform) {
    return new ImageBuilder(null, platform);
  }

  /** Ends the current layer: what is added or deleted next goes into a new one. */
  public ImageBuilder newLayer() {
    if (layers.isEmpty() || !layers.get(layers.size() - 1).isEmpty()) {
      layers.add(new ArrayList<>());
      createdBy.add(null);
    }
    return this;
  }

  private ImageBuilder step(FileStep step) {
    layers.get(layers.size() - 1).add(step);
    return this;
  }

  /** Copies the host file or directory {@code source} to {@code dest}, as root's, at the build's time. */
  public ImageBuilder copy(Path source, String dest) {
    return copy(source, dest, CopyOptions.DEFAULTS);
  }

  /** Copies the host file or directory {@code source} to {@code dest} as {@code options} say. */
  public ImageBuilder copy(Path source, String dest, CopyOptions options) {
    return step(l -> l.copy(source, dest, options));
  }

  /** Adds a file holding {@code content}. */
  public ImageBuilder file(String path, byte[] content, FileAttributes attributes) {
    byte[] bytes = content.clone();
    return step(l -> l.file(path, bytes, attributes));
  }

  /** Adds a directory. */
  public ImageBuilder directory(String path, FileAttributes attributes) {
    return step(l -> l.directory(path, attributes));
  }

  /** Adds a symlink. */
  public ImageBuilder symlink(String path, String target, FileAttributes attributes) {
    return step(l -> l.symlink(path, target, attributes));
  }

  /** Deletes {@code path} from the base. */
  public ImageBuilder delete(String path) {
    return step(l -> l.delete(path));
  }

  /** Makes directory {@code path} hold only what this build puts there. */
  public ImageBuilder replaceDirectory(String path) {
    return step(l -> l.replaceDirectory(path));
  }

  /** Describes the current layer in the image's history (else it says what it holds). */
  public ImageBuilder createdBy(String text) {
    createdBy.set(createdBy.size() - 1, text);
    return this;
  }

  /** Changes the config as {@code change} does, after the settings above. */
  public ImageBuilder config(Consumer<ConfigEditor> change) {
    config.add(change);
    return this;
  }

  public ImageBuilder entrypoint(String... args) {
    return config(c -> c.entrypoint(Arrays.asList(args)));
  }

  public ImageBuilder cmd(String... args) {
    return config(c -> c.cmd(Arrays.asList(args)));
  }

  public ImageBuilder env(String name, String value) {
    return config(c -> c.env(name, value));
  }

  public ImageBuilder workingDir(String dir) {
    return config(c -> c.workingDir(dir));
  }

  public ImageBuilder user(String user) {
    return config(c -> c.user(user));
  }

  public ImageBuilder label(String name, String value) {
    return config(c -> c.label(name, value));
  }

  public ImageBuilder exposedPort(String port) {
    return config(c -> c.exposedPort(port));
  }

  public ImageBuilder volume(String path) {
    return config(c -> c.volume(path));
  }

  /** Builds with {@link BuildOptions#defaults()}: reproducible, gzip, OCI. */
  public Image build() throws IOException {
    return build(BuildOptions.defaults());
  }

  /**
   * Builds the image: each layer written as {@code options} say, the config with the settings,
   * and the time of {@code options} as its creation time and its new history's.
   */
  public Image build(BuildOptions options) throws IOException {
    Image image = base != null ? Mutations.convert(base, options.format()) : Mutations.scratch(platform, options);
    String created = options.timestamp().toString();
    for (int i = 0; i < layers.size(); i++) {
      if (layers.get(i).isEmpty()) {
        continue;
      }
      LayerBuilder builder = new LayerBuilder();
      for (FileStep step : layers.get(i)) {
        step.apply(builder);
      }
      Layer layer = builder.build(options);
      String by = createdBy.get(i) != null ? createdBy.get(i) : "strata: " + builder.describe();
      image = Mutations.append(image, layer, new History(created, by, null, null, false));
    }
    return Mutations.editConfig(image, c -> {
      config.forEach(change -> change.accept(c));
      c.created(options.timestamp());
    });
  }
}
