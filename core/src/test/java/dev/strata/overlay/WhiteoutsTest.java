package dev.strata.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The overlay rules of {@link Whiteouts}: the names it spells and the stacking rule over a small stack. */
class WhiteoutsTest {
  @Test
  void spellsTheOciNames() {
    assertThat(Whiteouts.whiteoutName("passwd")).isEqualTo(".wh.passwd");
    assertThat(Whiteouts.whiteoutPath("", "etc")).isEqualTo(".wh.etc");
    assertThat(Whiteouts.whiteoutPath("etc/ssl", "cert.pem")).isEqualTo("etc/ssl/.wh.cert.pem");
    assertThat(Whiteouts.opaqueMarkerPath("")).isEqualTo(".wh..wh..opq");
    assertThat(Whiteouts.opaqueMarkerPath("etc/ssl")).isEqualTo("etc/ssl/.wh..wh..opq");
    assertThat(Whiteouts.deletedName(".wh.passwd")).isEqualTo("passwd");
    assertThat(Whiteouts.deletedName(".wh..hidden")).isEqualTo(".hidden");
  }

  @Test
  void tellsTheFormatsNamesFromFiles() {
    List<String> names = List.of(".wh.passwd", ".wh..wh..opq", ".wh.", ".wh..opq", "passwd.wh.", ".whx", "passwd");
    assertThat(names.stream().filter(Whiteouts::isWhiteoutName))
        .containsExactly(".wh.passwd", ".wh..wh..opq", ".wh.", ".wh..opq");
    assertThat(names.stream().filter(Whiteouts::isOpaqueMarker)).containsExactly(".wh..wh..opq");
  }

  @Test
  void saysWhyAWhiteoutNameIsBad() {
    assertThat(Whiteouts.invalidReason(".wh.")).isEqualTo("whiteout names no file ('.wh.' alone)");
    assertThat(Whiteouts.invalidReason(".wh..")).isEqualTo("whiteout of '.'");
    assertThat(Whiteouts.invalidReason(".wh...")).isEqualTo("whiteout of '..'");
    assertThat(Whiteouts.invalidReason(".wh..wh.plnk")).isEqualTo("unsupported AUFS metadata entry");
    assertThat(Whiteouts.invalidReason(".wh..wh..opq")).isNull();
    assertThat(Whiteouts.invalidReason(".wh.passwd")).isNull();
    assertThat(Whiteouts.invalidReason(".wh....")).isNull(); // deletes "...", a name like any
  }

  @Test
  void spellsTheKernelsXattrsInBothConventions() {
    assertThat(Whiteouts.xattrPrefix(true)).isEqualTo("trusted.overlay.");
    assertThat(Whiteouts.xattrPrefix(false)).isEqualTo("user.overlay.");
    assertThat(Whiteouts.TRUSTED_XATTRS + Whiteouts.XATTR_OPAQUE).isEqualTo("trusted.overlay.opaque");
    assertThat(Whiteouts.USER_XATTRS + Whiteouts.XATTR_WHITEOUT).isEqualTo("user.overlay.whiteout");
    assertThat(Whiteouts.USER_XATTRS + Whiteouts.XATTR_REDIRECT).isEqualTo("user.overlay.redirect");
    assertThat(Whiteouts.TRUSTED_XATTRS + Whiteouts.XATTR_METACOPY).isEqualTo("trusted.overlay.metacopy");
    assertThat(Stream.of("trusted.overlay.redirect", "user.overlay.strata-nlink", "trusted.overlayx", "user.mime_type",
        "security.capability").filter(Whiteouts::isOverlayXattr))
        .containsExactly("trusted.overlay.redirect", "user.overlay.strata-nlink");
  }

  @Test
  void escapesAUsersXattrInTheOverlaysNamespaceAsLinux67Does() {
    String user = Whiteouts.USER_XATTRS;
    assertThat(Whiteouts.escapeXattr(user, "user.overlay.opaque")).isEqualTo("user.overlay.overlay.opaque");
    assertThat(Whiteouts.escapeXattr(user, "user.mime_type")).isEqualTo("user.mime_type");
    assertThat(Whiteouts.escapeXattr(user, "trusted.overlay.opaque")).isEqualTo("trusted.overlay.opaque");
    assertThat(Whiteouts.unescapeXattr(user, "user.overlay.overlay.opaque")).isEqualTo("user.overlay.opaque");
    assertThat(Whiteouts.unescapeXattr(user, "user.overlay.metacopy")).isNull();
    assertThat(Whiteouts.unescapeXattr(user, "user.mime_type")).isEqualTo("user.mime_type");
  }

  @Test
  void theKernelsWhiteoutIsACharDeviceNumberedZeroZero() {
    assertThat(Whiteouts.isWhiteoutDevice(true, 0, 0)).isTrue();
    assertThat(Whiteouts.isWhiteoutDevice(true, 0, 1)).isFalse();
    assertThat(Whiteouts.isWhiteoutDevice(true, 1, 0)).isFalse();
    assertThat(Whiteouts.isWhiteoutDevice(false, 0, 0)).isFalse();
  }

  /** Bottom first: what a small image holds, each layer as the paths of its tar. */
  private static final List<Set<String>> STACK = List.of(
      Set.of("etc", "etc/passwd", "etc/ssl", "etc/ssl/cert.pem", "etc/ssl/certs", "etc/ssl/certs/ca.pem",
          "var", "var/log", "var/log/old.log", "usr", "usr/bin", "usr/bin/sh"),
      // A whiteout of var/log, an opaque etc/ssl with a file of its own, a whiteout of a file.
      Set.of("var/.wh.log", "etc/ssl/.wh..wh..opq", "etc/ssl/new.pem", "etc/.wh.passwd"),
      Set.of("etc/hosts", "var/log/new.log"));

  @Test
  void aLayerHidesWhatItWhitesOutOrWhatLiesUnderAnOpaqueParent() throws IOException {
    Whiteouts.Layer middle = STACK.get(1)::contains;
    assertThat(Whiteouts.hides(middle, "var/log")).isTrue();
    assertThat(Whiteouts.hides(middle, "var/log/old.log")).isTrue(); // a whiteout of a parent
    assertThat(Whiteouts.hides(middle, "var")).isFalse();
    assertThat(Whiteouts.hides(middle, "etc/ssl/cert.pem")).isTrue(); // an opaque parent
    assertThat(Whiteouts.hides(middle, "etc/ssl/certs/ca.pem")).isTrue(); // an opaque grandparent
    assertThat(Whiteouts.hides(middle, "etc/ssl")).isFalse(); // opaque: its content is hidden, not itself
    assertThat(Whiteouts.hides(middle, "etc/passwd")).isTrue();
    assertThat(Whiteouts.hides(middle, "usr/bin/sh")).isFalse();
    assertThat(Whiteouts.hides(middle, "")).isFalse();
  }

  @Test
  void asksTheLayerForTheFormatsPathsFromThePathUp() throws IOException {
    List<String> asked = new ArrayList<>();
    Whiteouts.hides(path -> {
      asked.add(path);
      return false;
    }, "a/b/c");
    assertThat(asked).containsExactly("a/b/.wh.c", "a/.wh.b", "a/b/.wh..wh..opq", ".wh.a", "a/.wh..wh..opq");
  }

  @Test
  void aStackShowsWhatNoLayerAboveHides() throws IOException {
    assertThat(shownBy("usr/bin/sh")).isEqualTo(0);
    assertThat(shownBy("var/log/old.log")).isEqualTo(-1);
    assertThat(shownBy("var/log/new.log")).isEqualTo(2); // written again above the whiteout
    assertThat(shownBy("etc/ssl/cert.pem")).isEqualTo(-1);
    assertThat(shownBy("etc/ssl/certs/ca.pem")).isEqualTo(-1);
    assertThat(shownBy("etc/ssl/new.pem")).isEqualTo(1); // the opaque layer's own file shows
    assertThat(shownBy("etc/ssl")).isEqualTo(0); // the marker hides what is in it, not itself
    assertThat(shownBy("etc/passwd")).isEqualTo(-1);
    assertThat(shownBy("etc/hosts")).isEqualTo(2);
  }

  /** The layer (0 the bottom) whose entry a top-down lookup of {@code path} finds; -1 for none. */
  private static int shownBy(String path) throws IOException {
    for (int i = STACK.size() - 1; i >= 0; i--) {
      Set<String> layer = STACK.get(i);
      if (layer.contains(path)) {
        return i;
      }
      if (Whiteouts.hides(layer::contains, path)) {
        return -1;
      }
    }
    return -1;
  }
}
