package dev.strata.cli;

import dev.strata.image.Descriptor;
import dev.strata.image.History;
import dev.strata.inspect.InspectedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code strata history NAME}: the steps of the config's history, bottom first, each with the
 * layer it made; steps marked {@code empty_layer} made none. Reads no layer.
 */
@Command(name = "history", mixinStandardHelpOptions = true,
    description = "Show the history of an image: created, created-by, comment and the layer each step made.")
final class HistoryCommand implements Callable<Integer> {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;
  @Mixin ImageFlags source;

  @Parameters(index = "0", paramLabel = "NAME", description = "An image: a name in the store, or a transport.")
  String name;

  @Option(names = "--json", description = "Print JSON (schema in docs/inspect.md).")
  boolean json;

  @Option(names = "--no-trunc", description = "Do not shorten created-by.")
  boolean noTrunc;

  @Override
  public Integer call() throws IOException {
    List<Map<String, Object>> steps;
    try (InspectTarget target = source.open(root.openStore(), name, false)) {
      steps = steps(target.image());
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Output.json(out, steps);
      return 0;
    }
    Table table = new Table(">STEP", ">LAYER", "CREATED", ">SIZE", "CREATED BY", "COMMENT");
    for (Map<String, Object> s : steps) {
      @SuppressWarnings("unchecked")
      Map<String, Object> layer = (Map<String, Object>) s.get("layer");
      String by = Output.oneLine((String) s.get("createdBy"), noTrunc ? -1 : 60);
      table.row(s.get("step"), layer == null ? "-" : layer.get("number"), s.get("created"),
          layer == null ? "0 B" : Sizes.human((Long) layer.get("size")), by,
          Output.oneLine((String) s.get("comment"), -1));
    }
    table.print(out);
    return 0;
  }

  /**
   * One entry per history step, each non-empty step given the next layer; layers the history
   * does not cover (a config without history, or with too few steps) get a step of their own
   * with nothing known but the layer.
   */
  static List<Map<String, Object>> steps(InspectedImage image) {
    List<Map<String, Object>> out = new ArrayList<>();
    List<Descriptor> layers = image.manifest().layers();
    int next = 0;
    for (History h : image.config().history()) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("step", out.size() + 1);
      s.put("created", h.created());
      s.put("createdBy", h.createdBy());
      s.put("author", h.author());
      s.put("comment", h.comment());
      s.put("emptyLayer", h.emptyLayer());
      s.put("layer", h.emptyLayer() || next >= layers.size() ? null : layer(image, next++));
      out.add(s);
    }
    while (next < layers.size()) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("step", out.size() + 1);
      s.put("created", null);
      s.put("createdBy", null);
      s.put("author", null);
      s.put("comment", null);
      s.put("emptyLayer", false);
      s.put("layer", layer(image, next++));
      out.add(s);
    }
    return out;
  }

  private static Map<String, Object> layer(InspectedImage image, int i) {
    Descriptor d = image.manifest().layers().get(i);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("number", i + 1);
    m.put("digest", d.digest().toString());
    m.put("diffId", image.config().diffIds().get(i).toString());
    m.put("size", d.size());
    return m;
  }
}
