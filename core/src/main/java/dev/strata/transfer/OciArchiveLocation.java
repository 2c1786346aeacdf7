package dev.strata.transfer;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.strata.image.Descriptor;
import dev.strata.image.Image;
import dev.strata.image.ImageIndex;
import dev.strata.image.json.ImageJson;
import dev.strata.layout.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * An OCI layout in a tar file, {@code oci-archive:FILE[:REF]}. Read by unpacking it into the
 * store's tmp/ and reading that as a layout; written whole, one image, as a new archive that
 * replaces the file.
 */
final class OciArchiveLocation extends SourcedLocation {
  OciArchiveLocation(Transports.Location where, Store store) {
    super(where, store);
  }

  @Override
  ImageSource openSource() throws IOException {
    if (!Files.isRegularFile(where.path())) {
      throw new NoSuchFileException(where.path() + ": no such oci-archive file");
    }
    Path staging = Staging.create(store.tmp(), "oci-archive-");
    try {
      ArchiveExtractor.extract(where.path(), staging,
          n -> n.equals("oci-layout") || n.equals("index.json") || n.startsWith("blobs/"));
    } catch (IOException e) {
      Staging.delete(staging);
      throw e;
    }
    return new OciLayoutSource(staging, where, () -> {
      try {
        Staging.delete(staging);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  @Override
  public Descriptor write(Image image) throws IOException {
    String ref = where.ref();
    if (ref != null) {
      Store.checkTag(ref);
    }
    Descriptor entry = OciLayoutLocation.indexEntry(image, ref);
    ArchiveFile.write(where.path(), archive -> {
      archive.add("oci-layout", Store.OCI_LAYOUT.getBytes(StandardCharsets.UTF_8));
      archive.add("index.json", ImageJson.write(new ImageIndex(null, ImmutableList.of(entry), ImmutableMap.of())));
      for (ImageBlobs.Blob blob : ImageBlobs.all(image)) {
        archive.addBlob("blobs/" + blob.descriptor().digest().algorithm() + "/" + blob.descriptor().digest().hex(), blob);
      }
    });
    return entry;
  }
}
