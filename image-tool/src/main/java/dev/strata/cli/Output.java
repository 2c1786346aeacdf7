package dev.strata.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.strata.host.Names;
import dev.strata.image.json.ImageJson;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/**
 * How the strata command writes what it prints: text for people in the charset of the caller's
 * locale (with {@code LANG} unset, ASCII), names and everything else made printable in it, and
 * JSON for programs in UTF-8 whatever the locale, names that are not UTF-8 included.
 */
final class Output {
  private static final ObjectWriter JSON =
      ImageJson.mapper().writer().with(new SurrogateEscapes()).withDefaultPrettyPrinter();

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

  /**
   * A writer of {@code stream} for people, flushing at each line: text in {@link #charset()},
   * anything a terminal would act on or the charset cannot carry escaped ({@link EscapingWriter}).
   */
  static PrintWriter writer(PrintStream stream) {
    return new Stream(stream, charset());
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
   * Returns free text (a created-by command) for one table cell: line breaks and tabs as spaces,
   * and cut after {@code max} characters (if {@code max} is not negative) with an ellipsis.
   */
  static String oneLine(String text, int max) {
    if (text == null) {
      return "";
    }
    String one = text.replace('\n', ' ').replace('\r', ' ').replace('\t', ' ');
    if (max < 0 || one.codePointCount(0, one.length()) <= max) {
      return one;
    }
    String ellipsis = charset().newEncoder().canEncode('…') ? "…" : "...";
    return one.substring(0, one.offsetByCodePoints(0, max - ellipsis.length())) + ellipsis;
  }

  /**
   * Prints {@code value} as pretty-printed JSON, in UTF-8 whatever the locale (JSON's own
   * encoding: RFC 8259), each UTF-16 surrogate as a {@code \}{@code uXXXX} escape: so a byte
   * of a name that is not UTF-8, which {@link Names} carries as U+DC80..U+DCFF, is
   * {@code \}{@code udcXX} for byte XX, a lone surrogate that Python's json.loads reads and
   * os.fsencode turns back into the byte (jq and Go show U+FFFD).
   */
  static void json(PrintWriter out, Object value) throws JsonProcessingException {
    String text = JSON.writeValueAsString(value) + System.lineSeparator();
    if (out instanceof Stream s) {
      s.utf8(text);
    } else {
      out.print(text);
      out.flush();
    }
  }

  /** Prints {@code sequence} (cursor movements of progress bars) for the terminal to act on. */
  static void control(PrintWriter out, String sequence) {
    if (out instanceof Stream s) {
      s.control(sequence);
    } else {
      out.print(sequence);
      out.flush();
    }
  }

  /** Standard output or error, with the ways around its escaping that JSON and progress bars take. */
  private static final class Stream extends PrintWriter {
    private final PrintStream bytes;
    private final Writer encoded;

    Stream(PrintStream bytes, Charset charset) {
      this(bytes, new OutputStreamWriter(bytes, charset), charset);
    }

    private Stream(PrintStream bytes, Writer encoded, Charset charset) {
      super(new EscapingWriter(encoded, charset), true);
      this.bytes = bytes;
      this.encoded = encoded;
    }

    /** Writes {@code text} in UTF-8, past the escaping and the locale's charset. */
    void utf8(String text) {
      flush();
      byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
      bytes.write(utf8, 0, utf8.length);
      bytes.flush();
    }

    /** Writes {@code sequence} in the locale's charset, past the escaping. */
    void control(String sequence) {
      flush();
      try {
        encoded.write(sequence);
        encoded.flush();
      } catch (IOException e) {
        setError(); // as PrintWriter does: a closed terminal does not fail the command
      }
    }
  }

  /**
   * Escapes every UTF-16 surrogate, a pair's two halves too: Jackson would write a lone one as
   * a character no encoder takes. Lower-case hex, as Python's json module writes them.
   */
  private static final class SurrogateEscapes extends CharacterEscapes {
    private final int[] ascii = standardAsciiEscapesForJSON();

    @Override
    public int[] getEscapeCodesForAscii() {
      return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      return Character.isSurrogate((char) ch) ? new SerializedString(String.format("\\u%04x", ch)) : null;
    }
  }
}
