package dev.strata.build.containerfile;

/**
 * White space as Docker's Go code sees it ({@code unicode.IsSpace}): the ASCII controls tab to
 * carriage return, NEL and every Unicode space separator. Java's {@link Character#isWhitespace}
 * differs on no-break spaces and the information separators, so it would trim other lines.
 */
final class Spaces {
  private Spaces() {}

  static boolean isSpace(int c) {
    return (c >= '\t' && c <= '\r') || c == 0x85 || Character.isSpaceChar(c);
  }

  /** The separators Docker splits keywords and whitespace-delimited arguments on: tab, VT, FF, CR, space. */
  static boolean isSeparator(int c) {
    return c == ' ' || c == '\t' || c == '\u000b' || c == '\f' || c == '\r';
  }

  static String trimLeading(String s) {
    int i = 0;
    while (i < s.length() && isSpace(s.charAt(i))) {
      i++;
    }
    return s.substring(i);
  }

  static String trim(String s) {
    int end = s.length();
    while (end > 0 && isSpace(s.charAt(end - 1))) {
      end--;
    }
    return trimLeading(s.substring(0, end));
  }
}
