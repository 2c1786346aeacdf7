package dev.strata.build.containerfile;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads the text after an instruction's keyword and flags into {@link Instruction#args()}, by the
 * keyword's {@link Keyword.Form}, and checks what each instruction needs (COPY a source and a
 * destination, FROM an image and perhaps a stage name, ...). The trigger of ONBUILD, itself an
 * instruction, is read by {@link InstructionParser}.
 */
final class Arguments {
  private static final Pattern STAGE_NAME = Pattern.compile("[a-z][a-z0-9_.-]*");

  /** Whether the arguments were the exec form, and the arguments. */
  record Parsed(boolean json, List<String> args) {}

  private Arguments() {}

  static Parsed parse(Keyword keyword, String text, char escape) {
    return switch (keyword.form()) {
      case COMMAND -> command(keyword, text);
      case LIST -> list(keyword, text);
      case WORDS -> words(keyword, text);
      case PAIRS -> new Parsed(false, pairs(keyword, text, escape));
      case NAMES -> new Parsed(false, names(text, escape));
      case HEALTHCHECK -> healthcheck(text);
      case TEXT, TRIGGER -> new Parsed(false, List.of(required(keyword, text)));
    };
  }

  private static Parsed command(Keyword keyword, String text) {
    Optional<List<String>> exec = ExecForm.of(text);
    if (exec.isEmpty() && keyword == Keyword.SHELL) {
      throw new Malformed("SHELL takes the exec form: SHELL [\"executable\", \"parameters\"]");
    }
    // CMD [] and ENTRYPOINT [] are meaningful (they clear the command); an empty RUN or SHELL is not.
    boolean mayBeEmpty = exec.isPresent() && (keyword == Keyword.CMD || keyword == Keyword.ENTRYPOINT);
    List<String> args = exec.orElseGet(() -> text.isEmpty() ? List.of() : List.of(text));
    if (args.isEmpty() && !mayBeEmpty) {
      throw new Malformed(keyword + " needs a command");
    }
    return new Parsed(exec.isPresent(), args);
  }

  private static Parsed list(Keyword keyword, String text) {
    Optional<List<String>> exec = ExecForm.of(text);
    List<String> args = exec.orElseGet(() -> Words.atWhiteSpace(text));
    if (keyword == Keyword.VOLUME) {
      // Docker trims each path and refuses blank ones, which only the exec form can write.
      args = args.stream().map(Spaces::trim).toList();
      if (args.isEmpty()) {
        throw new Malformed("VOLUME needs at least one path");
      }
      if (args.contains("")) {
        throw new Malformed("VOLUME paths may not be empty");
      }
    } else if (args.size() < 2) {
      throw new Malformed(keyword + " needs at least one source and a destination");
    }
    return new Parsed(exec.isPresent(), args);
  }

  private static Parsed words(Keyword keyword, String text) {
    List<String> args = Words.atWhiteSpace(text);
    if (keyword == Keyword.EXPOSE && args.isEmpty()) {
      throw new Malformed("EXPOSE needs at least one port");
    }
    if (keyword == Keyword.FROM) {
      if (!(args.size() == 1 || args.size() == 3 && args.get(1).equalsIgnoreCase("AS"))) {
        throw new Malformed("FROM takes an image, optionally followed by AS and a stage name");
      }
      if (args.size() == 3 && !STAGE_NAME.matcher(stageName(args)).matches()) {
        throw new Malformed("'" + args.get(2) + "' is not a stage name: it starts with a letter and holds only"
            + " letters, digits, '-', '_' and '.'");
      }
    }
    return new Parsed(false, args);
  }

  /** The stage name of FROM's words, lower-cased as Docker does; null when there is none. */
  static String stageName(List<String> fromArgs) {
    return fromArgs.size() == 3 ? fromArgs.get(2).toLowerCase(Locale.ROOT) : null;
  }

  /**
   * ENV and LABEL: {@code name=value} words, or Docker's legacy form {@code ENV name value...},
   * which it takes when the first word has no {@code =}; its value is the rest of the line, white
   * space and all. Both come out as {@code name=value} words.
   */
  private static List<String> pairs(Keyword keyword, String text, char escape) {
    List<String> words = Words.quoted(text, escape);
    if (words.isEmpty()) {
      throw new Malformed(keyword + " needs at least one name=value");
    }
    if (!words.get(0).contains("=")) {
      List<String> legacy = legacyPair(text);
      if (legacy.size() < 2) {
        throw new Malformed(keyword + " needs a value for '" + words.get(0) + "': " + keyword + " "
            + words.get(0) + "=value");
      }
      return List.of(legacy.get(0) + "=" + legacy.get(1));
    }
    for (String word : words) {
      if (!word.contains("=")) {
        throw new Malformed("'" + word + "' is not of the form name=value");
      }
      requireName(keyword, word);
    }
    return words;
  }

  /** The legacy form's name and value: the text split once at its first run of white space. */
  private static List<String> legacyPair(String text) {
    int end = 0;
    while (end < text.length() && !Spaces.isSeparator(text.charAt(end))) {
      end++;
    }
    int value = end;
    while (value < text.length() && Spaces.isSeparator(text.charAt(value))) {
      value++;
    }
    return value < text.length() ? List.of(text.substring(0, end), text.substring(value)) : List.of(text);
  }

  private static List<String> names(String text, char escape) {
    List<String> words = Words.quoted(text, escape);
    if (words.isEmpty()) {
      throw new Malformed("ARG needs a name");
    }
    words.forEach(word -> requireName(Keyword.ARG, word));
    return words;
  }

  private static void requireName(Keyword keyword, String word) {
    if (word.startsWith("=")) {
      throw new Malformed(keyword + " names may not be empty");
    }
  }

  /** {@code NONE}, or {@code CMD} and a command: args {@code [NONE]} or {@code [CMD, command...]}. */
  private static Parsed healthcheck(String text) {
    int end = 0;
    while (end < text.length() && !Spaces.isSpace(text.charAt(end))) {
      end++;
    }
    String type = text.substring(0, end).toUpperCase(Locale.ROOT);
    String rest = Spaces.trimLeading(text.substring(end));
    switch (type) {
      case "" -> throw new Malformed("HEALTHCHECK needs NONE, or CMD and a command");
      case "NONE" -> {
        if (!rest.isEmpty()) {
          throw new Malformed("HEALTHCHECK NONE takes no arguments");
        }
        return new Parsed(false, List.of(type));
      }
      case "CMD" -> {
        Optional<List<String>> exec = ExecForm.of(rest);
        List<String> command = exec.orElseGet(() -> rest.isEmpty() ? List.of() : List.of(rest));
        if (command.isEmpty()) {
          throw new Malformed("HEALTHCHECK CMD needs a command");
        }
        List<String> args = new ArrayList<>(List.of(type));
        args.addAll(command);
        return new Parsed(exec.isPresent(), List.copyOf(args));
      }
      default -> throw new Malformed("HEALTHCHECK takes NONE or CMD, not '" + text.substring(0, end) + "'");
    }
  }

  private static String required(Keyword keyword, String text) {
    if (text.isEmpty()) {
      throw new Malformed(keyword + (keyword == Keyword.ONBUILD ? " needs an instruction" : " needs an argument"));
    }
    return text;
  }
}
