package dev.strata.cli;

import dev.strata.host.Names;
import dev.strata.inspect.MergedTree;
import dev.strata.inspect.TreeDiff;
import dev.strata.inspect.TreeNode;
import dev.strata.layout.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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

/** {@code strata diff A B}: the paths added, changed and deleted from one tree to another. */
@Command(name = "diff", mixinStandardHelpOptions = true,
    description = {"Show the files added (A), changed (C) and deleted (D) from image A to image B, by content"
        + " digest, type, link target, mode, owner and xattrs (never by time).",
        "A and B are names in the store or transports; NAME@N is the tree of NAME through layer N (1 = bottom),"
            + " so 'diff img@2 img@3' shows what layer 3 changed."})
final class DiffCommand implements Callable<Integer> {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;
  @Mixin ImageFlags source;

  @Parameters(index = "0", paramLabel = "A", description = "The tree to compare from.")
  String from;

  @Parameters(index = "1", paramLabel = "B", description = "The tree to compare to.")
  String to;

  @Option(names = "--json", description = "Print JSON (schema in docs/inspect.md).")
  boolean json;

  @Override
  public Integer call() throws IOException {
    Store store = root.openStore();
    TreeDiff diff = TreeDiff.of(tree(store, from), tree(store, to));
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("from", from);
      m.put("to", to);
      m.put("added", diff.added().stream().map(Nodes::json).toList());
      List<Map<String, Object>> changed = new ArrayList<>();
      for (TreeDiff.Change c : diff.changed()) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("path", c.to().path());
        j.put("what", c.what());
        j.put("from", Nodes.json(c.from()));
        j.put("to", Nodes.json(c.to()));
        changed.add(j);
      }
      m.put("changed", changed);
      m.put("deleted", diff.deleted().stream().map(Nodes::json).toList());
      Output.json(out, m);
      return 0;
    }
    Map<String, String> lines = new TreeMap<>(Names.BYTE_ORDER);
    for (TreeNode n : diff.added()) {
      lines.put(n.path(), "A " + Nodes.name(n));
    }
    for (TreeDiff.Change c : diff.changed()) {
      lines.put(c.to().path(), "C " + Nodes.name(c.to()) + "  (" + String.join(", ", c.what()) + ")");
    }
    for (TreeNode n : diff.deleted()) {
      lines.put(n.path(), "D " + Nodes.name(n));
    }
    lines.values().forEach(out::println);
    out.printf("%d added, %d changed, %d deleted%n", diff.added().size(), diff.changed().size(), diff.deleted().size());
    return 0;
  }

  private Map<String, TreeNode> tree(Store store, String text) throws IOException {
    try (InspectTarget target = source.open(store, text, true)) {
      return MergedTree.of(target.image().layers().subList(0, target.layers()), null).nodes();
    }
  }
}
