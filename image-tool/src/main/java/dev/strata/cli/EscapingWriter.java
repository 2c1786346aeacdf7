package dev.strata.cli;

import dev.strata.host.Names;
import java.io.FilterWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.Charset;

/**
 * The last guard before a terminal: writes text as it is, but every character a terminal would
 * act on (controls other than newline and tab, format marks, lone surrogates) or that the
 * output's charset cannot carry as the escape {@link Names#printable(String, Charset)} gives it
 * ({@code \033}, octal bytes). Names are made printable before they get here, backslashes
 * doubled; this catches the rest: created-by lines, environment values, messages of errors.
 */
final class EscapingWriter extends FilterWriter {
  private final Charset charset;
  /** The first half of a surrogate pair whose second half has not been written yet. */
  private char high;

  EscapingWriter(Writer out, Charset charset) {
    super(out);
    this.charset = charset;
  }

  @Override
  public void write(int c) throws IOException {
    write(new char[] {(char) c}, 0, 1);
  }

  @Override
  public void write(String s, int off, int len) throws IOException {
    write(s.toCharArray(), off, len);
  }

  @Override
  public void write(char[] cbuf, int off, int len) throws IOException {
    int end = off + len;
    int plain = off; // the start of a run written as it is
    for (int i = off; i < end; i++) {
      char c = cbuf[i];
      if (high == 0 && asItIs(c)) {
        continue;
      }
      out.write(cbuf, plain, i - plain);
      plain = i + 1;
      if (high != 0 && Character.isLowSurrogate(c)) {
        out.write(Names.printable(new String(new char[] {high, c}), charset));
        high = 0;
        continue;
      }
      if (high != 0) {
        out.write(Names.printable(String.valueOf(high), charset));
        high = 0;
      }
      if (Character.isHighSurrogate(c)) {
        high = c;
      } else if (asItIs(c)) {
        out.write(c);
      } else {
        out.write(Names.printable(String.valueOf(c), charset));
      }
    }
    out.write(cbuf, plain, end - plain);
  }

  @Override
  public void close() throws IOException {
    if (high != 0) {
      out.write(Names.printable(String.valueOf(high), charset));
      high = 0;
    }
    super.close();
  }

  /** Printable ASCII, a backslash too (this is not a name), newline and tab. */
  private static boolean asItIs(char c) {
    return c >= 0x20 && c < 0x7f || c == '\n' || c == '\t';
  }
}
