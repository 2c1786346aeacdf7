package dev.strata.transfer;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.strata.blob.ContentStore;
import dev.strata.blob.Durability;
import dev.strata.image.Descriptor;
import dev.strata.image.Image;
import dev.strata.image.ImageIndex;
import dev.strata.image.MediaType;
import dev.strata.image.json.ImageJson;
import dev.strata.layout.Store;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An OCI image layout directory, {@code oci:DIR[:REF]}. A write adds the blobs the directory
 * lacks (each checked against its digest as it is stored) and then the manifest to index.json,
 * replacing only the entry of the same ref: the layout's other images stay.
 */
final class OciLayoutLocation extends SourcedLocation {
  OciLayoutLocation(Transports.Location where, Store store) {
    super(where, store);
  }

  @Override
  ImageSource openSource() {
    return new OciLayoutSource(where.path(), where, () -> { });
  }

  @Override
  public Descriptor write(Image image) throws IOException {
    String ref = where.ref();
    if (ref != null) {
      Store.checkTag(ref);
    }
    Path dir = where.path();
    Files.createDirectories(dir);
    Path tmp = dir.resolve(".strata-tmp");
    try {
      ContentStore target = ContentStore.flat(dir.resolve("blobs"), tmp);
      for (ImageBlobs.Blob blob : ImageBlobs.all(image)) {
        Descriptor d = blob.descriptor();
        if (target.size(d.digest()) != d.size()) {
          try (InputStream in = blob.open()) {
            target.write(in, d.digest(), d.size());
          }
        }
      }
      if (!Files.exists(dir.resolve("oci-layout"))) {
        Durability.writeAtomically(dir.resolve("oci-layout"), tmp, Store.OCI_LAYOUT.getBytes(StandardCharsets.UTF_8));
      }
      Path indexFile = dir.resolve("index.json");
      Descriptor entry = indexEntry(image, ref);
      List<Descriptor> manifests = new ArrayList<>();
      if (Files.exists(indexFile)) {
        for (Descriptor d : ImageJson.parseIndex(Files.readAllBytes(indexFile)).manifests()) {
          // An untagged write replaces only an untagged entry of the same manifest.
          boolean replaced = ref != null ? ref.equals(d.refName())
              : d.refName() == null && d.digest().equals(entry.digest());
          if (!replaced) {
            manifests.add(d);
          }
        }
      }
      manifests.add(entry);
      Durability.writeAtomically(indexFile, tmp,
          ImageJson.write(new ImageIndex(null, ImmutableList.copyOf(manifests), ImmutableMap.of())));
      return entry;
    } finally {
      Staging.delete(tmp);
    }
  }

  /** Returns the index.json entry of {@code image}, named {@code ref} when it is not null. */
  static Descriptor indexEntry(Image image, String ref) {
    Descriptor d = image.descriptor();
    return new Descriptor(Objects.requireNonNullElse(d.mediaType(), MediaType.OCI_MANIFEST), d.digest(), d.size(),
        ref == null ? ImmutableMap.of() : ImmutableMap.of(Descriptor.REF_NAME, ref), null);
  }
}
