package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EscapingWriterTest {
  @Test
  void whatATerminalWouldActOnIsEscaped() throws IOException {
    assertThat(written(StandardCharsets.UTF_8, "a\u001b[2Jb\u0007c\u007fd\u009be"))
        .isEqualTo("a\\033[2Jb\\ac\\177d\\302\\233e"); // ESC, BEL, DEL and the C1 CSI
    assertThat(written(StandardCharsets.UTF_8, "\u202etxt.exe\r")).isEqualTo("\\342\\200\\256txt.exe\\r");
  }

  @Test
  void textStaysTextBackslashesTabsAndNewlinesToo() throws IOException {
    assertThat(written(StandardCharsets.UTF_8, "C:\\dir\tü 😀\n")).isEqualTo("C:\\dir\tü 😀\n");
  }

  @Test
  void whatTheCharsetCannotCarryIsItsUtf8BytesInOctal() throws IOException {
    assertThat(written(StandardCharsets.US_ASCII, "ü 😀")).isEqualTo("\\303\\274 \\360\\237\\230\\200");
  }

  @Test
  void aSurrogatePairSplitAcrossWritesIsOneCharacter() throws IOException {
    StringWriter out = new StringWriter();
    try (EscapingWriter w = new EscapingWriter(out, StandardCharsets.US_ASCII)) {
      w.write("x\ud83d");
      w.write("\ude00y\ud800");
    }
    assertThat(out.toString()).isEqualTo("x\\360\\237\\230\\200y\\uD800"); // a lone half has no bytes
  }

  private static String written(Charset charset, String text) throws IOException {
    StringWriter out = new StringWriter();
    try (EscapingWriter w = new EscapingWriter(out, charset)) {
      w.write(text);
    }
    return out.toString();
  }
}
