package dev.strata.build.containerfile;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds heredocs ({@code RUN <<EOF}, {@code COPY <<-EOF /x}) in the shell form of RUN, COPY and
 * ADD, where Docker reads them, so that they are refused rather than read as words. Docker's
 * rule: a word, outside quotes, of optional digits, {@code <<}, an optional {@code -} and a name
 * with no {@code <} (so {@code <<<} is a here-string, not a heredoc); white space may follow
 * {@code <<} before the name.
 */
final class Heredocs {
  private static final Pattern START = Pattern.compile("\\d*<<(-?)(.*)", Pattern.DOTALL);

  private Heredocs() {}

  static boolean present(String text) {
    if (!text.contains("<<")) {
      return false;
    }
    // Docker looks for them with its default escape, whatever the file's.
    List<String> words = Words.quoted(text, '\\');
    for (int i = 0; i < words.size(); i++) {
      Matcher m = START.matcher(words.get(i));
      if (!m.matches()) {
        continue;
      }
      boolean nameFollows = m.group(1).isEmpty() && m.group(2).isEmpty() && i + 1 < words.size();
      String name = nameFollows ? words.get(i + 1) : m.group(2);
      if (!name.isEmpty() && name.indexOf('<') < 0) {
        return true;
      }
    }
    return false;
  }
}
