package dev.strata.build;

import dev.strata.image.Descriptor;
import dev.strata.image.History;
import dev.strata.image.Image;
import dev.strata.image.Layer;
import dev.strata.image.Platform;
import dev.strata.layer.IngestLimits;
import dev.strata.layer.LayerBlobWriter;
import dev.strata.layout.Store;
import dev.strata.transfer.Images;
import dev.strata.transfer.Puller;
import dev.strata.union.Changeset;
import dev.strata.union.UnionFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Makes what a union's upper holds a layer ({@link Changeset}: copy-ups as entries, deletions
 * as whiteouts, replaced directories opaque), and an image of it on top of the union's image:
 * what {@code strata commit}, a build's steps and {@link ImageUnion#commit} do.
 */
public final class UnionCommit {
  private UnionCommit() {}

  /** What a commit made: the tagged manifest, and the new layer. */
  public record Result(Descriptor manifest, Layer layer) {}

  /**
   * Returns the changes of {@code fs} as a layer, compressed as {@code options} say, every
   * entry at {@code options}' time when {@code fixTimes}.
   */
  public static Layer layer(UnionFs fs, BuildOptions options, boolean fixTimes) throws IOException {
    Path file = Files.createTempFile(Scratch.directory(options), "layer-", ".tar");
    LayerBlobWriter.Written written = LayerBlobWriter.write(file, options.compression(), options.level(),
        tar(fs, options, fixTimes));
    return Layer.of(Descriptor.of(LayerBuilder.mediaType(options), written.digest(), written.size()),
        written.diffId(), () -> Files.newInputStream(file));
  }

  /** The tar of {@code fs}'s changes, every entry at {@code options}' time when {@code fixTimes}. */
  static LayerBlobWriter.TarBody tar(UnionFs fs, BuildOptions options, boolean fixTimes) {
    return tar -> Changeset.write(fs, tar, fixTimes ? options.timestamp() : null);
  }

  /** Returns {@code base} with {@code layer} on top, in {@code options}' format, its history at their time. */
  static Image append(Image base, Layer layer, String createdBy, BuildOptions options) throws IOException {
    return Mutations.append(Mutations.convert(base, options.format()), layer,
        new History(options.timestamp().toString(), createdBy, null, null, false));
  }

  /**
   * Commits the changes of {@code fs}, a union over {@code base}, into {@code store} as image
   * {@code name}: stored as a pull stores one, so the new layer is verified and indexed, and
   * tagged once whole.
   */
  public static Result commit(Store store, UnionFs fs, Image base, String name, String createdBy,
      BuildOptions options) throws IOException {
    Store.checkTag(name);
    Layer layer = layer(fs, options, false);
    Image image = append(base, layer, createdBy, options);
    Puller.Result r = new Puller(store, IngestLimits.DEFAULT, e -> { }).pull(Images.source(image, name), name,
        Platform.current());
    return new Result(r.manifest(), layer);
  }
}
