package dev.strata.build.containerfile;

import java.util.Map;
import java.util.Set;

/**
 * Reads one logical line into an {@link Instruction}: the keyword (any case), the leading flags,
 * then the arguments by the keyword's form.
 */
final class InstructionParser {
  private static final Set<Keyword> HEREDOC_KEYWORDS = Set.of(Keyword.RUN, Keyword.COPY, Keyword.ADD);
  private static final Set<Keyword> NOT_TRIGGERS = Set.of(Keyword.FROM, Keyword.MAINTAINER);

  private InstructionParser() {}

  static Instruction parse(int line, String text, char escape) {
    String original = Spaces.trim(text);
    int end = keywordEnd(original);
    Keyword keyword = keyword(original.substring(0, end));
    Flags.Split split = Flags.split(original.substring(end), escape);
    Map<String, String> flags = Flags.check(keyword, split.words());
    String rest = Spaces.trim(split.rest());
    Arguments.Parsed parsed = Arguments.parse(keyword, rest, escape);
    if (keyword == Keyword.HEALTHCHECK && parsed.args().get(0).equals("NONE") && !flags.isEmpty()) {
      throw new Malformed("HEALTHCHECK NONE takes no flags");
    }
    if (HEREDOC_KEYWORDS.contains(keyword) && !parsed.json() && Heredocs.present(rest)) {
      throw new Malformed("heredocs are not supported");
    }
    if (keyword == Keyword.ONBUILD) {
      checkTrigger(line, rest, escape);
    }
    return new Instruction(line, keyword.name(), flags, parsed.json(), parsed.args(), original);
  }

  /**
   * Reads ONBUILD's trigger as an instruction of its own. Docker only refuses the keywords that
   * cannot be triggers and leaves the rest to the image that runs it; a trigger that cannot
   * parse could never run, so Strata says so here, at its line, not in someone else's build.
   */
  private static void checkTrigger(int line, String trigger, char escape) {
    Keyword keyword = keyword(trigger.substring(0, keywordEnd(trigger)));
    if (keyword == Keyword.ONBUILD) {
      throw new Malformed("ONBUILD ONBUILD is not allowed: triggers do not chain");
    }
    if (NOT_TRIGGERS.contains(keyword)) {
      throw new Malformed(keyword + " is not allowed as an ONBUILD trigger");
    }
    parse(line, trigger, escape);
  }

  /** Where the keyword ends: at the first separator, as Docker splits it off. */
  private static int keywordEnd(String text) {
    int end = 0;
    while (end < text.length() && !Spaces.isSeparator(text.charAt(end))) {
      end++;
    }
    return end;
  }

  private static Keyword keyword(String word) {
    return Keyword.of(word).orElseThrow(() -> new Malformed("unknown instruction '" + word + "'"));
  }
}
