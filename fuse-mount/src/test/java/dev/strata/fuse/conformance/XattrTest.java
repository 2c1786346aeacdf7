package dev.strata.fuse.conformance;

import static dev.strata.fuse.conformance.Posix.OK;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/** Extended attributes: user.* pass through, the overlay's own trusted.overlay.* never show. */
class XattrTest extends MountedOverlayTest {
  private static final byte[] ONE = "1".getBytes(StandardCharsets.UTF_8);

  @OnEachOverlay
  void userXattrsAreSetReadListedAndRemoved(Overlay overlay) throws Exception {
    mount(overlay);
    write("new", "new\n");
    for (String path : List.of("a", "e", "new", "d1")) {
      HOST.setxattr(at(path), "user.one", ONE);
      assertThat(xattr(path, "user.one")).as(path).isEqualTo("1");
      assertThat(HOST.listxattr(at(path))).as(path).contains("user.one");
      assertThat(HOST.removexattr(at(path), "user.one")).as(path).isTrue();
      assertThat(xattr(path, "user.one")).as(path).isNull();
      assertThat(HOST.listxattr(at(path))).as(path).doesNotContain("user.one");
    }
    assertThat(HOST.removexattr(at("a"), "user.none")).as("ENODATA").isFalse();
  }

  @OnEachOverlay
  void lowerXattrsShowFromTheTopmostLayerThatHasTheFile(Overlay overlay) throws Exception {
    mount(overlay);
    assertThat(HOST.listxattr(at("e/f"))).containsExactly("user.k1");
    assertThat(xattr("e/f", "user.k1")).isEqualTo("top");
    assertThat(xattr("e", "user.dir")).isEqualTo("top");
    assertThat(HOST.listxattr(at("a"))).as("l3's a, with user.k0, is below l2's").isEmpty();
  }

  @OnEachOverlay
  void theOverlaysOwnXattrsNeverShow(Overlay overlay) throws Exception {
    mount(overlay);
    // Make every kind of overlay mark: copy-up, metacopy, an opaque new directory over a
    // deleted one, a whiteout, a hard link copied up, a renamed new directory.
    write("a", "copied up\n");
    HOST.chmod(at("big"), 0600);
    Files.delete(at("w/f"));
    Files.delete(at("w"));
    Files.createDirectory(at("w"));
    write("h1", "linked\n");
    Files.createDirectory(at("n1"));
    Files.move(at("n1"), at("n2"));
    List<String> seen = new ArrayList<>();
    for (String path : List.of("", "a", "big", "w", "d1", "x", "h1", "hd/h2", "n2", "e", "e/f")) {
      HOST.listxattr(at(path)).forEach(name -> seen.add(path + " " + name));
    }
    assertThat(seen).filteredOn(s -> s.contains("overlay.")).isEmpty();
    assertThat(xattr("x", "trusted.overlay.opaque")).as("x is opaque in l2").isNull();
  }

  @OnEachOverlay
  void anOverlayXattrSetThroughTheMountIsKeptForANestedOverlayAndChangesNothingHere(Overlay overlay)
      throws Exception {
    mount(overlay);
    KnownPeerDifferences.assumeKernelAnswerFrom(overlay, KnownPeerDifferences.SET_OVERLAY_XATTR);
    assertThat(xattrAnswer(() -> HOST.setxattr(at("d1"), "trusted.overlay.opaque", new byte[] {'y'})))
        .isEqualTo(OK);
    assertThat(xattr("d1", "trusted.overlay.opaque")).isEqualTo("y");
    assertThat(list("d1")).as("not made opaque").containsExactly("e", "f", "n");
  }

  @OnEachOverlay
  void userXattrsOnASymlinkOrAFifoAreEPERM(Overlay overlay) throws Exception {
    mount(overlay);
    assertThat(xattrAnswer(() -> HOST.setxattr(at("s"), "user.one", ONE))).isEqualTo("EPERM");
    assertThat(xattrAnswer(() -> HOST.setxattr(at("fifo"), "user.one", ONE))).isEqualTo("EPERM");
  }

  @OnEachOverlay
  void trustedXattrsOfOtherNamesWorkForRoot(Overlay overlay) throws Exception {
    mount(overlay);
    HOST.setxattr(at("a"), "trusted.mine", ONE);
    assertThat(xattr("a", "trusted.mine")).isEqualTo("1");
    assertThat(HOST.listxattr(at("a"))).containsExactly("trusted.mine");
  }
}
