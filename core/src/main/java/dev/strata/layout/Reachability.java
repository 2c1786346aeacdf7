package dev.strata.layout;

import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.image.ImageConfig;
import dev.strata.image.Manifest;
import dev.strata.image.MediaType;
import dev.strata.image.json.ImageJson;
import dev.strata.layer.LayerEntry;
import dev.strata.layer.LayerIndex;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the tags, containers, build cache and volume snapshots of a store keep alive: manifests (and the manifests of tagged indexes), their
 * configs and layer blobs, the layer indexes named by the configs' diff_ids, and the objects
 * those indexes point at. Pieces that are missing or unreadable are skipped here; fsck reports
 * them.
 */
final class Reachability {
  final Set<Digest> blobs = new HashSet<>();
  final Set<Digest> layers = new HashSet<>();
  final Set<Digest> objects = new HashSet<>();

  /** What the tags, containers and {@code pinned} manifests keep alive. */
  static Reachability of(Store store, List<Descriptor> pinned) throws IOException {
    Reachability r = new Reachability();
    for (Descriptor d : store.readIndex().manifests()) {
      r.visitManifest(store, d, 0);
    }
    // A container's upper was written over its image's layers: they live as long as it does.
    for (Containers.Container c : new Containers(store).list()) {
      r.visitManifest(store, c.manifest(), 0);
    }
    for (Descriptor d : pinned) {
      r.visitManifest(store, d, 0);
    }
    // A build's cached steps: what makes the next build of the same Containerfile fast.
    for (Descriptor d : new BuildCache(store).manifests()) {
      r.visitManifest(store, d, 0);
    }
    // A volume's snapshots: each a layer that the snapshots after it are stacked on.
    for (Path volume : VolumeSnapshots.volumeDirs(store)) {
      try {
        for (VolumeSnapshots.Snapshot s : VolumeSnapshots.reachable(volume)) {
          r.blobs.add(s.blob());
          r.layers.add(s.diffId());
        }
      } catch (IOException | RuntimeException e) {
        // a damaged record keeps nothing alive; fsck names it
      }
    }
    r.visitLayers(store);
    return r;
  }

  /** What {@code manifests} alone keep alive. */
  static Reachability ofManifests(Store store, List<Descriptor> manifests) throws IOException {
    Reachability r = new Reachability();
    for (Descriptor d : manifests) {
      r.visitManifest(store, d, 0);
    }
    r.visitLayers(store);
    return r;
  }

  private void visitLayers(Store store) {
    for (Digest diffId : layers) {
      if (!store.layers().contains(diffId)) {
        continue;
      }
      try {
        LayerIndex index = store.layers().read(diffId);
        for (LayerEntry e : index.entries()) {
          if (e.object() != null) {
            objects.add(e.object());
          }
        }
      } catch (IOException e) {
        // a damaged index keeps nothing alive; fsck names it
      }
    }
  }

  private void visitManifest(Store store, Descriptor d, int depth) throws IOException {
    if (depth > 4 || !blobs.add(d.digest()) || !store.blobs().contains(d.digest())) {
      return;
    }
    byte[] bytes = store.blobs().readAllBytes(d.digest());
    try {
      String type = d.mediaType() != null ? d.mediaType() : ImageJson.mediaTypeOf(bytes);
      if (MediaType.isIndex(type)) {
        for (Descriptor child : ImageJson.parseIndex(bytes).manifests()) {
          visitManifest(store, child, depth + 1);
        }
        return;
      }
      Manifest manifest = ImageJson.parseManifest(bytes);
      blobs.add(manifest.config().digest());
      for (Descriptor layer : manifest.layers()) {
        blobs.add(layer.digest());
      }
      if (store.blobs().contains(manifest.config().digest())) {
        ImageConfig config = ImageJson.parseConfig(store.blobs().readAllBytes(manifest.config().digest()));
        layers.addAll(config.diffIds());
      }
    } catch (IOException e) {
      // unreadable JSON keeps only itself alive
    }
  }
}
