package dev.strata.cli;

import dev.strata.host.Names;
import dev.strata.inspect.LayerChanges;
import dev.strata.inspect.MergedTree;
import dev.strata.inspect.TreeNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code strata tree NAME [--layer N] [PATH]}: the merged file tree, or what one layer did to it. */
@Command(name = "tree", mixinStandardHelpOptions = true,
    description = {"Show an image's merged file tree, each path with the layer it comes from.",
        "With --layer N: the tree through layer N, marking what layer N added (A), modified (M) and deleted (D);"
            + " --changes shows only those."})
final class TreeCommand implements Callable<Integer> {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;
  @Mixin ImageFlags source;

  @Parameters(index = "0", paramLabel = "NAME", description = "An image: a name in the store, or a transport.")
  String name;

  @Parameters(index = "1", arity = "0..1", paramLabel = "PATH", description = "Show only PATH and what is below it.")
  String path;

  @Option(names = "--layer", paramLabel = "N", description = "The tree through layer N (1 = bottom), marked.")
  Integer layer;

  @Option(names = "--changes", description = "With --layer: only the paths layer N added, modified or deleted.")
  boolean changes;

  @Option(names = "--json", description = "Print JSON (schema in docs/inspect.md).")
  boolean json;

  @Override
  public Integer call() throws IOException {
    if (changes && layer == null) {
      throw new IllegalArgumentException("--changes needs --layer N");
    }
    String prefix = normalize(path);
    Map<String, Marked> rows = new TreeMap<>(Names.BYTE_ORDER);
    try (InspectTarget target = source.open(root.openStore(), name, false)) {
      int count = target.image().layerCount();
      if (layer != null && (layer < 1 || layer > count)) {
        throw new IllegalArgumentException("--layer " + layer + ": " + name + " has layers 1 to " + count);
      }
      int through = layer == null ? count : layer;
      List<LayerChanges> done = new ArrayList<>();
      MergedTree tree = MergedTree.of(target.image().layers().subList(0, through), done);
      if (!changes) {
        for (TreeNode n : tree.nodes().values()) {
          rows.put(n.path(), new Marked(n, null));
        }
      }
      if (layer != null) {
        LayerChanges c = done.get(through - 1);
        mark(rows, c.added(), "A");
        mark(rows, c.dirsAdded(), "A");
        mark(rows, c.modified(), "M");
        mark(rows, c.deleted(), "D");
        mark(rows, c.dirsDeleted(), "D");
      }
      if (!prefix.isEmpty() && !rows.containsKey(prefix) && tree.get(prefix) == null) {
        throw new IOException("no path /" + Output.name(prefix) + " in " + name
            + (layer == null ? "" : " through layer " + layer));
      }
    }
    List<Marked> shown = new ArrayList<>();
    for (Marked m : rows.values()) {
      String p = m.node().path();
      if (prefix.isEmpty() || p.equals(prefix) || p.startsWith(prefix + "/")) {
        shown.add(m);
      }
    }
    print(spec.commandLine().getOut(), shown);
    return 0;
  }

  /** A node and its mark: A, M, D, or null for a path layer N did not change (or a directory it re-listed). */
  private record Marked(TreeNode node, String change) {}

  private static void mark(Map<String, Marked> rows, List<TreeNode> nodes, String change) {
    for (TreeNode n : nodes) {
      rows.put(n.path(), new Marked(n, change));
    }
  }

  private void print(PrintWriter out, List<Marked> shown) throws IOException {
    if (json) {
      List<Map<String, Object>> list = new ArrayList<>();
      for (Marked m : shown) {
        Map<String, Object> j = Nodes.json(m.node());
        if (layer != null) {
          j.put("change", m.change() == null ? null : switch (m.change()) {
            case "A" -> "added";
            case "M" -> "modified";
            default -> "deleted";
          });
        }
        list.add(j);
      }
      Output.json(out, list);
      return;
    }
    Table table = layer == null
        ? new Table("MODE", "OWNER", ">SIZE", ">LAYER", "PATH")
        : new Table("", "MODE", "OWNER", ">SIZE", ">LAYER", "PATH");
    for (Marked m : shown) {
      TreeNode n = m.node();
      String size = n.isDirectory() ? "" : Sizes.human(n.size());
      if (layer == null) {
        table.row(Nodes.mode(n), Nodes.owner(n), size, n.layer(), Nodes.name(n));
      } else {
        table.row(m.change() == null ? "" : m.change(), Nodes.mode(n), Nodes.owner(n), size, n.layer(), Nodes.name(n));
      }
    }
    table.print(out);
  }

  private static String normalize(String p) {
    if (p == null) {
      return "";
    }
    String s = p;
    while (s.startsWith("/") || s.startsWith("./")) {
      s = s.startsWith("/") ? s.substring(1) : s.substring(2);
    }
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return s.equals(".") ? "" : s;
  }
}
