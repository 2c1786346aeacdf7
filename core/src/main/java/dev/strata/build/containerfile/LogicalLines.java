package dev.strata.build.containerfile;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads a Containerfile's physical lines into logical ones, one per instruction, as Docker's
 * parser does: directives at the top, comment lines ({@code #} after optional white space; a
 * {@code #} later in a line is text), blank lines, and continuations with the escape character
 * at the end of a line.
 *
 * <p>Docker's quirks are kept because files are written against them: a continued line is joined
 * to the next with nothing between (the white space before the escape and at the start of the
 * next line stays), blank lines and comment lines inside a continuation are skipped without
 * ending it, an escaped escape at the end of a line ({@code \\}) does not continue it, and a
 * file that ends inside a continuation ends the instruction.
 */
final class LogicalLines {
  /** One instruction's text, continuations joined, and the line it starts on (1-based). */
  record Line(int number, String text) {}

  /** The logical lines and the escape character the directives chose. */
  record Source(char escape, List<Line> lines) {}

  private LogicalLines() {}

  static Source read(String text, String fileName) {
    String[] physical = text.split("\n", -1);
    Directives directives = new Directives();
    List<Line> lines = new ArrayList<>();
    int i = 0;
    while (i < physical.length) {
      int number = i + 1;
      String line = Spaces.trimLeading(withoutLineEnd(physical[i++], number == 1));
      try {
        if (directives.offer(line)) {
          continue;
        }
      } catch (Malformed e) {
        throw new ContainerfileException(fileName, number, e.getMessage());
      }
      char escape = directives.escape();
      if (line.startsWith("#")) {
        continue;
      }
      StringBuilder joined = new StringBuilder();
      boolean continues = append(joined, line, escape);
      while (continues && i < physical.length) {
        String next = withoutLineEnd(physical[i++], false);
        String trimmed = Spaces.trimLeading(next);
        if (trimmed.isEmpty() || trimmed.startsWith("#")) {
          continue;
        }
        // Unlike the first line, a continuation keeps its indentation, as Docker's does.
        continues = append(joined, next, escape);
      }
      // A blank line, or a continuation of nothing but blank lines, holds no instruction.
      if (!Spaces.trim(joined.toString()).isEmpty()) {
        lines.add(new Line(number, joined.toString()));
      }
    }
    return new Source(directives.escape(), List.copyOf(lines));
  }

  /** Strips the line end (CR LF or LF), and a byte order mark from the first line. */
  private static String withoutLineEnd(String line, boolean first) {
    int end = line.length();
    while (end > 0 && (line.charAt(end - 1) == '\r' || line.charAt(end - 1) == '\n')) {
      end--;
    }
    int start = first && line.startsWith("\uFEFF") ? 1 : 0;
    return line.substring(start, Math.max(start, end));
  }

  /**
   * Appends a line to an instruction's text without its continuation escape; returns whether it
   * had one: the escape, then only spaces and tabs, not itself escaped.
   */
  private static boolean append(StringBuilder joined, String line, char escape) {
    int last = line.length() - 1;
    while (last >= 0 && (line.charAt(last) == ' ' || line.charAt(last) == '\t')) {
      last--;
    }
    boolean continues = last >= 0 && line.charAt(last) == escape && (last == 0 || line.charAt(last - 1) != escape);
    joined.append(continues ? line.substring(0, last) : line);
    return continues;
  }
}
