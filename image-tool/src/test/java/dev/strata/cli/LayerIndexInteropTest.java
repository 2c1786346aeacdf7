package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strata.image.Descriptor;
import dev.strata.layer.EntryKind;
import dev.strata.layer.LayerEntry;
import dev.strata.layer.LayerIndex;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every layer's index lists exactly what GNU tar lists of the layer blob: the same entries in
 * the same order, with the same type, mode, owner, size, time, name and link target.
 */
class LayerIndexInteropTest {
  @TempDir Path store;

  @ParameterizedTest
  @ValueSource(strings = {"3layer", "umoci-repack"})
  void tinyImageIndexMatchesTarListing(String tag) throws Exception {
    assertIndexesMatchTar(TestImages.tiny(), tag);
  }

  @Test
  void debootstrapImageIndexMatchesTarListing() throws Exception {
    Path debian = TestImages.debian();
    assumeTrue(debian != null, "the Debian image is built by scripts/test.sh (needs root and debootstrap)");
    assertIndexesMatchTar(debian, "minbase");
    assertIndexesMatchTar(debian, "minbase-plus");
  }

  @Test
  void sharedFixtureImagesIndexMatchTarListing() throws Exception {
    String shared = System.getenv("STRATA_SHARED_IMAGES");
    assumeTrue(shared != null, "the project's shared fixtures are present only beside a CI checkout");
    assertIndexesMatchTar(Path.of(shared, "tiny"), "3layer");
    assertIndexesMatchTar(Path.of(shared, "tiny"), "umoci-repack");
  }

  @Test
  void tinyImageKeepsWhiteoutsOpaqueDirsHardLinksAndSymlinks() throws Exception {
    Strata.run(store, "pull", "oci:" + TestImages.tiny() + ":3layer", "tiny").assertOk();
    Store s = Store.open(store);
    StoredImage image = StoredImage.load(s, "tiny");
    LayerIndex l2 = s.layers().read(image.config().diffIds().get(1));
    LayerIndex l3 = s.layers().read(image.config().diffIds().get(2));
    assertThat(l2.get("etc/.wh.delete-me").kind()).isEqualTo(EntryKind.WHITEOUT);
    assertThat(l2.get("etc/.wh.delete-me").target()).isEqualTo("etc/delete-me");
    assertThat(l2.get("etc/conf.d/.wh..wh..opq").kind()).isEqualTo(EntryKind.OPAQUE);
    assertThat(l2.get("etc/conf.d/.wh..wh..opq").target()).isEqualTo("etc/conf.d");
    assertThat(l2.get("var/.wh.cache").target()).isEqualTo("var/cache");
    assertThat(l2.get("opt/app").kind()).isEqualTo(EntryKind.FILE);
    LayerEntry hello = l3.get("usr/share/hello.txt");
    LayerEntry link = l3.get("usr/share/hello-hardlink.txt");
    LayerEntry[] pair = hello.kind() == EntryKind.HARDLINK ? new LayerEntry[] {link, hello} : new LayerEntry[] {hello, link};
    assertThat(pair[1].kind()).isEqualTo(EntryKind.HARDLINK);
    assertThat(pair[0].linkGroup()).isPositive().isEqualTo(pair[1].linkGroup());
    assertThat(pair[1].object()).isEqualTo(pair[0].object());
    assertThat(s.objects().contains(pair[0].object())).isTrue();
    assertThat(l3.get("usr/bin/env").linkTarget()).isEqualTo("../../bin/busybox");
    assertThat(l3.get("etc/dangling-link").linkTarget()).isEqualTo("/nonexistent/target");
    assertThat(l3.get("etc/motd").mode()).isEqualTo(0600);
    assertThat(l3.get("home/user").mode()).isEqualTo(0700);
    assertThat(l3.get("home/user").uid()).isEqualTo(1000);
  }

  private void assertIndexesMatchTar(Path layout, String tag) throws Exception {
    Path s = store.resolve(layout.getFileName() + "-" + tag);
    Strata.run(s, "pull", "oci:" + layout + ":" + tag, tag).assertOk();
    Store opened = Store.open(s);
    StoredImage image = StoredImage.load(opened, tag);
    for (int i = 0; i < image.manifest().layers().size(); i++) {
      Descriptor blob = image.manifest().layers().get(i);
      LayerIndex index = opened.layers().read(image.config().diffIds().get(i));
      String listing = Commands.exec(List.of("tar", "--numeric-owner", "--full-time", "--quoting-style=literal",
          "-tvf", opened.blobs().path(blob.digest()).toString()), Map.of("TZ", "UTC", "LC_ALL", "C.UTF-8")).out();
      List<TarListing> expected = TarListing.parse(listing);
      List<TarListing> actual = index.entries().stream().map(TarListing::of).toList();
      assertThat(actual).as("layer %d of %s:%s", i, layout, tag).containsExactlyElementsOf(expected);
      for (LayerEntry e : index.entries()) {
        if (e.object() != null) {
          assertThat(opened.objects().size(e.object())).as(e.path()).isEqualTo(e.size());
        }
      }
    }
  }
}
