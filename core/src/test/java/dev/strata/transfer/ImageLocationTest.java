package dev.strata.transfer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.digest.Digest;
import dev.strata.digest.DigestMismatchException;
import dev.strata.image.Descriptor;
import dev.strata.image.Image;
import dev.strata.image.MediaType;
import dev.strata.image.json.ImageJson;
import dev.strata.layer.TarBuilder;
import dev.strata.layout.NoSuchImageException;
import dev.strata.layout.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of place reads and writes the same image: what each keeps, and what each says when it lacks one. */
class ImageLocationTest {
  @TempDir Path dir;
  private Store store;
  private Image image;

  @BeforeEach
  void setUp() throws IOException {
    store = Store.open(dir.resolve("store"));
    image = TestImage.twoLayers();
  }

  /** Reads {@code from} and writes what it read to {@code to}; returns what {@code to} reads back. */
  private Image copy(ImageLocation from, ImageLocation to, List<ImageLocation> open) throws IOException {
    open.add(from);
    open.add(to);
    to.write(from.read());
    return to.read();
  }

  @Test
  void anImageGoesThroughEveryKindAndComesBackWithItsDiffIdsAndFiles() throws Exception {
    Path layout = dir.resolve("layout");
    Path ociArchive = dir.resolve("image.oci.tar");
    Path dockerArchive = dir.resolve("image.docker.tar");
    Store back = Store.open(dir.resolve("back"));
    List<ImageLocation> open = new java.util.ArrayList<>();
    try {
      ImageLocation first = ImageLocation.inStore(store, "orig");
      open.add(first);
      assertThat(first.write(image).digest()).isEqualTo(image.descriptor().digest());

      Image inLayout = copy(first, ImageLocation.parse("oci:" + layout + ":v1", store), open);
      Image inOciArchive = copy(ImageLocation.parse("oci:" + layout + ":v1", store),
          ImageLocation.parse("oci-archive:" + ociArchive + ":v1", store), open);
      Image inDockerArchive = copy(ImageLocation.parse("oci-archive:" + ociArchive + ":v1", store),
          ImageLocation.parse("docker-archive:" + dockerArchive + ":example/image:v1", store), open);
      Image inBack = copy(ImageLocation.parse("docker-archive:" + dockerArchive, store),
          ImageLocation.inStore(back, "again"), open);

      // OCI layouts and archives copy the manifest byte for byte: the digest is kept.
      assertThat(inLayout.descriptor().digest()).isEqualTo(image.descriptor().digest());
      assertThat(inOciArchive.descriptor().digest()).isEqualTo(image.descriptor().digest());
      assertThat(inOciArchive.rawManifest()).isEqualTo(image.rawManifest());
      // A docker archive has no manifest: the one read back is made, over uncompressed layers;
      // the config, and with it the diff ids, are kept byte for byte.
      assertThat(inDockerArchive.descriptor().digest()).isNotEqualTo(image.descriptor().digest());
      assertThat(inDockerArchive.layers()).allSatisfy(l -> assertThat(l.descriptor().mediaType())
          .isEqualTo(MediaType.OCI_LAYER));
      assertThat(inBack.rawConfig()).isEqualTo(image.rawConfig());
      assertThat(inBack.manifest().config().digest()).isEqualTo(image.manifest().config().digest());
      for (Image copy : List.of(inLayout, inOciArchive, inDockerArchive, inBack)) {
        assertThat(copy.config().diffIds()).isEqualTo(image.config().diffIds());
        Map<String, byte[]> files = TestImage.filesOf(copy);
        assertThat(files.keySet()).containsExactlyElementsOf(TestImage.FILES.keySet());
        TestImage.FILES.forEach((path, content) -> assertThat(files.get(path)).as(path).isEqualTo(content));
      }
      // The store that took it in has it indexed, as a pull would.
      for (Digest diffId : image.config().diffIds()) {
        assertThat(back.layers().contains(diffId)).as("index of " + diffId).isTrue();
      }
    } finally {
      for (ImageLocation l : open) {
        l.close();
      }
    }
    // Closed, the places read leave nothing staged in the store's tmp/.
    assertThat(staged(store)).isEmpty();
  }

  @Test
  void aLayoutKeepsItsOtherImagesAndReplacesOnlyTheRefWritten() throws Exception {
    Path layout = dir.resolve("layout");
    Image other = TestImage.of(List.of("other".getBytes(UTF_8)), List.of(MediaType.OCI_LAYER),
        List.of("other".getBytes(UTF_8)));
    try (ImageLocation v1 = ImageLocation.parse("oci:" + layout + ":v1", store);
        ImageLocation v2 = ImageLocation.parse("oci:" + layout + ":v2", store)) {
      v1.write(other);
      v2.write(image);
      Descriptor written = v1.write(image);
      assertThat(written.refName()).isEqualTo("v1");
      assertThat(written.digest()).isEqualTo(image.descriptor().digest());
    }
    JsonNode index = ImageJson.mapper().readTree(Files.readAllBytes(layout.resolve("index.json")));
    assertThat(index.get("manifests")).hasSize(2);
    assertThat(index.get("manifests").findValuesAsText(Descriptor.REF_NAME)).containsExactlyInAnyOrder("v1", "v2");
    assertThat(index.get("manifests").findValuesAsText("digest")).containsOnly(image.descriptor().digest().toString());
    // The other image's blobs stay: a layout is never pruned by a write.
    assertThat(layout.resolve("blobs/sha256/" + other.descriptor().digest().hex())).exists();
  }

  @Test
  void blobsALayoutHasAreNotReadAgain() throws Exception {
    Path layout = dir.resolve("layout");
    try (ImageLocation v1 = ImageLocation.parse("oci:" + layout + ":v1", store);
        ImageLocation v2 = ImageLocation.parse("oci:" + layout + ":v2", store)) {
      v1.write(image);
      // Every layer's open fails: the second write succeeds only by not opening them.
      assertThat(v2.write(TestImage.unreadableLayers(image)).digest()).isEqualTo(image.descriptor().digest());
      assertThat(v2.read().config().diffIds()).isEqualTo(image.config().diffIds());
    }
  }

  @Test
  void aDockerArchiveIsTaggedOnlyWithANameDockerTakes() throws Exception {
    assertThat(repoTags("docker-archive:" + dir.resolve("a.tar") + ":example/image")).containsExactly("example/image:latest");
    assertThat(repoTags("docker-archive:" + dir.resolve("b.tar") + ":example/image:v2")).containsExactly("example/image:v2");
    assertThat(repoTags("docker-archive:" + dir.resolve("c.tar") + ":Not_A_Reference")).isEmpty();
    assertThat(repoTags("docker-archive:" + dir.resolve("d.tar"))).isEmpty();
  }

  private List<String> repoTags(String text) throws Exception {
    try (ImageLocation archive = ImageLocation.parse(text, store)) {
      archive.write(image);
    }
    Path file = Transports.parse(text).path();
    Path unpacked = Files.createTempDirectory(dir, "unpacked-");
    ArchiveExtractor.extract(file, unpacked, n -> n.equals("manifest.json"));
    return ImageJson.parseDockerArchiveManifest(Files.readAllBytes(unpacked.resolve("manifest.json"))).get(0).repoTags();
  }

  @Test
  void aFailedArchiveWriteLeavesTheArchiveThatWasThere() throws Exception {
    Path archive = dir.resolve("out").resolve("image.tar");
    for (String kind : List.of("oci-archive:", "docker-archive:")) {
      try (ImageLocation location = ImageLocation.parse(kind + archive + ":v1", store)) {
        location.write(image);
        byte[] before = Files.readAllBytes(archive);
        byte[] tar = new TarBuilder().file("file", "the bytes the digests are of\n").toBytes();
        Image corrupt = TestImage.tampered(TestImage.of(List.of(tar), List.of(MediaType.OCI_LAYER), List.of(tar)));
        assertThatThrownBy(() -> location.write(corrupt)).as(kind).isInstanceOf(DigestMismatchException.class);
        assertThat(Files.readAllBytes(archive)).as(kind).isEqualTo(before);
      }
      try (Stream<Path> files = Files.list(archive.getParent())) {
        assertThat(files).as(kind + " leaves no temp file").containsExactly(archive);
      }
    }
  }

  @Test
  void aReadOfAMissingImageNamesWhatIsMissing() throws Exception {
    Path layout = dir.resolve("layout");
    Path ociArchive = dir.resolve("image.oci.tar");
    Path dockerArchive = dir.resolve("image.docker.tar");
    for (String text : List.of("oci:" + layout + ":v1", "oci-archive:" + ociArchive + ":v1",
        "docker-archive:" + dockerArchive + ":example/image:v1")) {
      try (ImageLocation l = ImageLocation.parse(text, store)) {
        l.write(image);
      }
    }
    assertThatThrownBy(() -> read("oci:" + layout + ":v9"))
        .hasMessage("no image 'v9' in " + layout + " (refs: v1)");
    assertThatThrownBy(() -> read("oci-archive:" + ociArchive + ":v9"))
        .hasMessage("no image 'v9' in " + ociArchive + " (refs: v1)");
    assertThatThrownBy(() -> read("docker-archive:" + dockerArchive + ":example/image:v9"))
        .hasMessage("no image 'example/image:v9' in " + dockerArchive);
    assertThatThrownBy(() -> read("oci:" + dir.resolve("nowhere") + ":v1")).isInstanceOf(NoSuchFileException.class)
        .hasMessage(dir.resolve("nowhere") + " is not an OCI image layout (no oci-layout file)");
    assertThatThrownBy(() -> read("oci-archive:" + dir.resolve("nowhere.tar"))).isInstanceOf(NoSuchFileException.class)
        .hasMessage(dir.resolve("nowhere.tar") + ": no such oci-archive file");
    assertThatThrownBy(() -> read("docker-archive:" + dir.resolve("nowhere.tar")))
        .isInstanceOf(NoSuchFileException.class).hasMessage(dir.resolve("nowhere.tar") + ": no such docker-archive file");
    try (ImageLocation missing = ImageLocation.inStore(store, "nope")) {
      assertThatThrownBy(missing::read).isInstanceOf(NoSuchImageException.class)
          .hasMessage("no image named 'nope' in the store " + store.root());
    }
    assertThatThrownBy(() -> ImageLocation.parse("ftp://example.com/x", store))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown transport in 'ftp://example.com/x'");
    assertThat(staged(store)).isEmpty();
  }

  private void read(String text) throws IOException {
    try (ImageLocation l = ImageLocation.parse(text, store)) {
      l.read();
    }
  }

  @Test
  void aLocationSaysWhereItIs() {
    assertThat(ImageLocation.parse("oci:" + dir + ":v1", store)).hasToString("oci:" + dir + ":v1");
    assertThat(ImageLocation.parse("example.com/repo:v1", store)).hasToString("docker://example.com/repo:v1");
  }

  /** The files staged in {@code store}'s tmp/, staging sessions' own lock files aside. */
  private static List<Path> staged(Store store) throws IOException {
    if (!Files.exists(store.tmp())) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(store.tmp())) {
      return files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().equals("owner")).toList();
    }
  }
}
