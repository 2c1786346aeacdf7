package dev.strata.build;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.image.Compression;
import dev.strata.image.Image;
import dev.strata.image.Layer;
import dev.strata.layer.BytePipe;
import dev.strata.layer.IngestLimits;
import dev.strata.layout.Fsck;
import dev.strata.layout.Store;
import dev.strata.transfer.Images;
import dev.strata.transfer.Puller;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A build's layer written into the store as it is made: the blob, its file objects and its index
 * all there, the same as a pull of the layer would make them; nothing of it when the writing
 * fails; and the pipe between the two threads neither loses, reorders nor hangs.
 */
class StoredLayerTest {
  @TempDir Path dir;

  private static Draft draft(int files) {
    Draft d = new Draft();
    for (int i = 0; i < files; i++) {
      byte[] content = ("file " + i + "\n").repeat(1 + i % 5).getBytes(UTF_8);
      d.put("app/f" + i, Draft.Node.file(FileAttributes.mode(0644), content.length,
          () -> new ByteArrayInputStream(content)));
    }
    return d;
  }

  @Test
  void theLayerIsInTheStoreAsAPullWouldHaveStoredIt() throws Exception {
    Store store = Store.open(dir.resolve("store"));
    BuildOptions options = GoldenImages.options(Compression.GZIP, dir.resolve("s"));
    Image base = ImageBuilder.scratch(GoldenImages.AMD64).build(options);
    Layer layer = StoredLayer.write(store, base, options, LayerBuilder.tar(draft(300), options));
    assertThat(store.blobs().contains(layer.descriptor().digest())).isTrue();
    assertThat(store.layers().contains(layer.diffId())).isTrue();
    assertThat(store.layers().read(layer.diffId()).entries()).hasSize(301); // app/ and its files

    // The same layer written the usual way has the same digests: nothing differs but where it went.
    Layer plain = LayerBuilder.write(draft(300), options);
    assertThat(plain.descriptor()).isEqualTo(layer.descriptor());
    assertThat(plain.diffId()).isEqualTo(layer.diffId());

    Image image = UnionCommit.append(base, layer, "stored", options);
    var events = new java.util.ArrayList<Puller.LayerEvent>();
    new Puller(store, IngestLimits.DEFAULT, events::add).pull(Images.source(image, null), "stored",
        dev.strata.image.Platform.current());
    assertThat(events).allSatisfy(e -> assertThat(e.status()).isEqualTo(Puller.Status.EXISTS));
    assertThat(Fsck.run(store, false).clean()).isTrue();
  }

  @Test
  void aWriterThatFailsLeavesNothingAndSaysWhy() throws Exception {
    Store store = Store.open(dir.resolve("store"));
    BuildOptions options = GoldenImages.options(Compression.GZIP, dir.resolve("s"));
    Image base = ImageBuilder.scratch(GoldenImages.AMD64).build(options);
    Draft d = draft(50);
    d.put("app/unreadable", Draft.Node.file(FileAttributes.mode(0644), 10, () -> {
      throw new IOException("app/unreadable: gone");
    }));
    assertThatThrownBy(() -> StoredLayer.write(store, base, options, LayerBuilder.tar(d, options)))
        .hasMessageContaining("app/unreadable: gone");
    try (var blobs = Files.walk(store.root().resolve("blobs"))) {
      assertThat(blobs.filter(Files::isRegularFile)).isEmpty();
    }
    try (var layers = Files.list(store.root().resolve("layers"))) {
      assertThat(layers).isEmpty();
    }
  }

  @Test
  void thePipeKeepsEveryByteInOrder() throws Exception {
    byte[] data = new byte[3 << 20 | 12345];
    new Random(7).nextBytes(data);
    BytePipe pipe = new BytePipe();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    AtomicReference<Exception> failed = new AtomicReference<>();
    Thread reader = new Thread(() -> {
      try (InputStream in = pipe.source()) {
        in.transferTo(got);
      } catch (Exception e) {
        failed.set(e);
      }
    });
    reader.start();
    try (OutputStream out = pipe.sink()) {
      Random sizes = new Random(11);
      for (int off = 0; off < data.length; ) {
        int n = Math.min(data.length - off, 1 + sizes.nextInt(700));
        out.write(data, off, n);
        off += n;
      }
    }
    reader.join();
    assertThat(failed.get()).isNull();
    assertThat(got.toByteArray()).isEqualTo(data);
  }

  @Test
  void aReaderThatStopsMakesTheWriterFailNotWait() throws Exception {
    BytePipe pipe = new BytePipe();
    pipe.source().close();
    OutputStream out = pipe.sink();
    assertThatThrownBy(() -> {
      byte[] chunk = new byte[1 << 16];
      for (int i = 0; i < 1000; i++) { // far more than the pipe holds
        out.write(chunk);
      }
    }).isInstanceOf(BytePipe.ReaderGoneException.class);
  }
}
