package dev.strata.build.containerfile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Containerfile, parsed as buildah and Docker parse one: parser directives at the top
 * ({@code # escape=}, {@code # syntax=} accepted and ignored), comments, line continuations
 * with the escape character (comment and empty lines inside a continuation skipped), keywords in
 * any case, leading {@code --flags}, exec (JSON array) and shell forms. ARGs before the first
 * FROM are global; every FROM starts a stage.
 *
 * @param globalArgs the ARG instructions before the first FROM
 * @param stages the stages, in order
 * @param escape the escape character ({@code \} unless a directive says {@code `})
 */
public record Containerfile(List<Instruction> globalArgs, List<Stage> stages, char escape) {
  private static final Pattern DIRECTIVE = Pattern.compile("#\\s*([a-zA-Z][a-zA-Z0-9_-]*)\\s*=\\s*(.*?)\\s*");
  private static final Pattern HEREDOC = Pattern.compile("<<-?[\"']?[A-Za-z_]");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> KEYWORDS = Set.of("FROM", "RUN", "COPY", "ADD", "ENV", "ARG", "WORKDIR", "USER",
      "ENTRYPOINT", "CMD", "LABEL", "EXPOSE", "VOLUME", "SHELL", "STOPSIGNAL", "HEALTHCHECK", "ONBUILD", "MAINTAINER");
  private static final Map<String, Set<String>> FLAGS = Map.of(
      "FROM", Set.of("platform"),
      "RUN", Set.of("network"),
      "COPY", Set.of("from", "chown", "chmod", "link"),
      "ADD", Set.of("chown", "chmod", "link", "checksum"),
      "HEALTHCHECK", Set.of("interval", "timeout", "start-period", "start-interval", "retries"));

  public Containerfile {
    globalArgs = List.copyOf(globalArgs);
    stages = List.copyOf(stages);
  }

  /** Parses {@code text}; {@code fileName} names it in errors ({@code Containerfile:7: ...}). */
  public static Containerfile parse(String text, String fileName) {
    return new Parser(text, fileName).parse();
  }

  /** A logical line: its text (continuations joined) and the line it starts on. */
  private record Logical(int line, String text) {}

  private static final class Parser {
    private final String[] lines;
    private final String file;
    private char escape = '\\';

    Parser(String text, String file) {
      this.lines = text.split("\r?\n", -1);
      this.file = file;
    }

    private ContainerfileException error(int line, String message) {
      return new ContainerfileException(file, line, message);
    }

    Containerfile parse() {
      int i = directives();
      List<Logical> logical = logicalLines(i);
      List<Instruction> globals = new ArrayList<>();
      List<Stage> stages = new ArrayList<>();
      Set<String> names = new HashSet<>();
      Instruction from = null;
      String name = null;
      List<Instruction> body = new ArrayList<>();
      for (Logical l : logical) {
        Instruction in = instruction(l);
        if (in.keyword().equals("FROM")) {
          if (from != null) {
            stages.add(new Stage(stages.size(), name, from, body));
          }
          from = in;
          body = new ArrayList<>();
          name = stageName(l, in, names);
        } else if (from == null) {
          if (!in.keyword().equals("ARG")) {
            throw error(l.line(), in.keyword() + " before the first FROM (only ARG may come before it)");
          }
          globals.add(in);
        } else {
          body.add(in);
        }
      }
      if (from == null) {
        throw error(logical.isEmpty() ? 1 : logical.get(0).line(), logical.isEmpty() ? "no instructions" : "no FROM instruction");
      }
      stages.add(new Stage(stages.size(), name, from, body));
      return new Containerfile(globals, stages, escape);
    }

    /** Reads the parser directives at the top; returns the index of the first line after them. */
    private int directives() {
      Set<String> seen = new HashSet<>();
      int i = 0;
      for (; i < lines.length; i++) {
        Matcher m = DIRECTIVE.matcher(lines[i]);
        if (!m.matches()) {
          break;
        }
        String key = m.group(1).toLowerCase(Locale.ROOT);
        if (!seen.add(key)) {
          throw error(i + 1, "the directive '" + key + "' is given twice");
        }
        if (key.equals("escape")) {
          String v = m.group(2);
          if (!v.equals("\\") && !v.equals("`")) {
            throw error(i + 1, "escape directive '" + v + "': the escape character must be \\ or `");
          }
          escape = v.charAt(0);
        }
        // syntax=, check= and others: what BuildKit's frontends read; nothing to do here.
      }
      return i;
    }

    private List<Logical> logicalLines(int start) {
      List<Logical> out = new ArrayList<>();
      StringBuilder current = null;
      int startLine = 0;
      for (int i = start; i < lines.length; i++) {
        String raw = lines[i];
        String trimmed = raw.strip();
        if (current == null && (trimmed.isEmpty() || trimmed.startsWith("#"))) {
          continue;
        }
        if (current != null && (trimmed.isEmpty() || trimmed.startsWith("#"))) {
          continue; // empty and comment lines inside a continuation are skipped, as Docker does
        }
        String body = raw.stripTrailing();
        boolean continues = body.endsWith(String.valueOf(escape))
            && !(body.length() >= 2 && body.charAt(body.length() - 2) == escape);
        if (continues) {
          body = body.substring(0, body.length() - 1);
        }
        if (current == null) {
          current = new StringBuilder();
          startLine = i + 1;
          current.append(body.stripLeading());
        } else {
          current.append(body);
        }
        if (!continues) {
          out.add(new Logical(startLine, current.toString()));
          current = null;
        }
      }
      if (current != null) {
        out.add(new Logical(startLine, current.toString()));
      }
      return out;
    }

    private Instruction instruction(Logical l) {
      String text = l.text().strip();
      int space = indexOfSpace(text);
      String word = space < 0 ? text : text.substring(0, space);
      String keyword = word.toUpperCase(Locale.ROOT);
      if (!KEYWORDS.contains(keyword)) {
        throw error(l.line(), "unknown instruction '" + word + "'");
      }
      String rest = space < 0 ? "" : text.substring(space).strip();
      Map<String, String> flags = new LinkedHashMap<>();
      while (FLAGS.containsKey(keyword) && rest.startsWith("--")) {
        int end = indexOfSpace(rest);
        String flag = end < 0 ? rest : rest.substring(0, end);
        rest = end < 0 ? "" : rest.substring(end).strip();
        int eq = flag.indexOf('=');
        String key = (eq < 0 ? flag.substring(2) : flag.substring(2, eq)).toLowerCase(Locale.ROOT);
        if (!FLAGS.getOrDefault(keyword, Set.of()).contains(key)) {
          throw error(l.line(), keyword + " takes no flag --" + key);
        }
        flags.put(key, eq < 0 ? "true" : flag.substring(eq + 1));
      }
      if ((keyword.equals("RUN") || keyword.equals("COPY") || keyword.equals("ADD")) && HEREDOC.matcher(rest).find()) {
        throw error(l.line(), "heredocs are not supported");
      }
      if (rest.isEmpty() && !keyword.equals("RUN") && !keyword.equals("CMD") && !keyword.equals("ENTRYPOINT")) {
        throw error(l.line(), keyword + " needs arguments");
      }
      List<String> json = null;
      List<String> args;
      boolean isJson = false;
      switch (keyword) {
        case "RUN", "CMD", "ENTRYPOINT", "SHELL" -> {
          json = jsonArray(rest);
          isJson = json != null;
          if (keyword.equals("SHELL") && !isJson) {
            throw error(l.line(), "SHELL takes a JSON array, as [\"/bin/sh\", \"-c\"]");
          }
          args = isJson ? json : List.of(rest);
        }
        case "COPY", "ADD", "VOLUME" -> {
          json = jsonArray(rest);
          isJson = json != null;
          args = isJson ? json : words(l, rest);
        }
        case "HEALTHCHECK" -> {
          if (rest.equalsIgnoreCase("NONE")) {
            args = List.of("NONE");
          } else {
            int sp = indexOfSpace(rest);
            if (sp < 0 || !rest.substring(0, sp).equalsIgnoreCase("CMD")) {
              throw error(l.line(), "HEALTHCHECK takes NONE or CMD followed by a command");
            }
            String cmd = rest.substring(sp).strip();
            json = jsonArray(cmd);
            isJson = json != null;
            args = isJson ? json : List.of(cmd);
          }
        }
        case "FROM" -> {
          List<String> w = words(l, rest);
          if (w.size() != 1 && !(w.size() == 3 && w.get(1).equalsIgnoreCase("AS"))) {
            throw error(l.line(), "FROM takes an image and optionally AS NAME");
          }
          args = List.of(w.get(0));
        }
        case "ENV", "LABEL" -> args = pairs(l, keyword, rest);
        case "ARG", "EXPOSE" -> args = words(l, rest);
        default -> args = List.of(rest);
      }
      return new Instruction(l.line(), keyword, flags, isJson, args, text);
    }

    private String stageName(Logical l, Instruction from, Set<String> names) {
      List<String> w = words(l, l.text().strip().substring(4).strip().replaceAll("^(--\\S+\\s+)*", ""));
      if (w.size() != 3) {
        return null;
      }
      String name = w.get(2).toLowerCase(Locale.ROOT);
      if (!name.matches("[a-z][a-z0-9_.-]*")) {
        throw error(l.line(), "stage name '" + w.get(2) + "': use letters, digits, '_', '.' and '-', a letter first");
      }
      if (!names.add(name)) {
        throw error(l.line(), "a stage named '" + name + "' comes twice");
      }
      return name;
    }

    private List<String> words(Logical l, String rest) {
      try {
        return Substitution.words(rest);
      } catch (IllegalArgumentException e) {
        throw error(l.line(), e.getMessage());
      }
    }

    /** ENV and LABEL: {@code k=v k2="v 2"}, or ENV's legacy {@code name value...}. */
    private List<String> pairs(Logical l, String keyword, String rest) {
      List<String> w = words(l, rest);
      if (!w.get(0).contains("=")) {
        if (keyword.equals("LABEL") || w.size() < 2) {
          throw error(l.line(), keyword + " takes NAME=VALUE pairs");
        }
        int sp = indexOfSpace(rest);
        return List.of(w.get(0) + "=" + rest.substring(sp).strip());
      }
      for (String p : w) {
        if (p.indexOf('=') <= 0) {
          throw error(l.line(), keyword + " '" + p + "': expected NAME=VALUE");
        }
      }
      return w;
    }

    /** The strings of a JSON array of strings, or null when {@code text} is not one (then it is shell form). */
    private static List<String> jsonArray(String text) {
      if (!text.startsWith("[")) {
        return null;
      }
      try {
        JsonNode node = JSON.readTree(text);
        if (node == null || !node.isArray()) {
          return null;
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : node) {
          if (!e.isTextual()) {
            return null;
          }
          out.add(e.asText());
        }
        return out;
      } catch (java.io.IOException e) {
        return null;
      }
    }

    private static int indexOfSpace(String s) {
      for (int i = 0; i < s.length(); i++) {
        if (Character.isWhitespace(s.charAt(i))) {
          return i;
        }
      }
      return -1;
    }
  }
}
