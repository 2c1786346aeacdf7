package dev.strata.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import dev.strata.host.Names;
import dev.strata.image.json.ImageJson;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.Charset;

/**
 * How the strata command writes what it prints: text in the charset of the caller's locale
 * (with {@code LANG} unset, ASCII), names made printable in it, and JSON that survives any
 * locale.
 */
final class Output {
  private Output() {}

  /** The charset of the process's locale, as the terminal or pipe reading us expects. */
  static Charset charset() {
    String name = System.getProperty("native.encoding");
    try {
      return name != null && Charset.isSupported(name) ? Charset.forName(name) : Charset.defaultCharset();
    } catch (IllegalArgumentException e) {
      return Charset.defaultCharset();
    }
  }

  /** A writer of {@code stream} in {@link #charset()}, flushing at each line. */
  static PrintWriter writer(PrintStream stream) {
    return new PrintWriter(new OutputStreamWriter(stream, charset()), true);
  }

  /**
   * A name (or path, or link target) as a person reads it: escaped as GNU tar's escape style
   * does (backslash, control characters, and every byte that is not UTF-8 in octal), and in
   * the C locale every byte that is not ASCII in octal too, as GNU tar shows names there.
   */
  static String name(String name) {
    return name == null ? null : Names.printable(name, charset());
  }

  /**
   * Returns {@code value} as pretty-printed JSON in ASCII: every other character as a
   * {@code \\uXXXX} escape, so that no locale's charset can mangle it, and each byte of a name
   * that is not UTF-8 as {@code \\udcXX} (a lone surrogate: Python's json.loads gives back the
   * name that os.fsencode turns into the original bytes; jq and Go show U+FFFD there).
   */
  static String json(Object value) throws JsonProcessingException {
    return ImageJson.mapper().writer().with(JsonWriteFeature.ESCAPE_NON_ASCII).withDefaultPrettyPrinter()
        .writeValueAsString(value);
  }
}
