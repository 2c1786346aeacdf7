package dev.strata.cli;

import dev.strata.image.History;
import dev.strata.inspect.ImageReport;
import dev.strata.inspect.InspectedImage;
import dev.strata.inspect.LayerChanges;
import dev.strata.inspect.LayerReport;
import dev.strata.inspect.TreeNode;
import dev.strata.inspect.WastedFile;
import dev.strata.layer.IngestLimits;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code strata layers NAME}: what each layer adds, modifies, deletes and wastes; a CI gate on waste. */
@Command(name = "layers", mixinStandardHelpOptions = true,
    description = {"Show each layer of an image: digest, diff id, sizes, created-by, files added, modified and "
        + "deleted, and the bytes later layers overwrite or delete (wasted); the image's efficiency.",
        "NAME is a name in the store or a transport (oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE),"
            + " read without storing anything."})
final class LayersCommand implements Callable<Integer> {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;
  @Mixin ImageFlags source;

  @Parameters(index = "0", paramLabel = "NAME", description = "An image: a name in the store, or a transport.")
  String name;

  @Option(names = "--json", description = "Print JSON (schema in docs/inspect.md).")
  boolean json;

  @Option(names = "--paths", description = "List the paths each layer added, modified and deleted.")
  boolean paths;

  @Option(names = "--wasted-files", paramLabel = "N", defaultValue = "10",
      description = "How many of the most wasteful paths to list (default: ${DEFAULT-VALUE}; all in --json).")
  int wastedFiles;

  @Option(names = "--fail-efficiency", paramLabel = "RATIO",
      description = "Exit 1 when the efficiency (0 to 1) is below RATIO.")
  Double failEfficiency;

  @Option(names = "--fail-wasted", paramLabel = "SIZE",
      description = "Exit 1 when more than SIZE bytes are wasted (e.g. 10MB, 512KiB, 1000).")
  String failWasted;

  @Override
  public Integer call() throws IOException {
    if (failEfficiency != null && (failEfficiency < 0 || failEfficiency > 1 || failEfficiency.isNaN())) {
      throw new IllegalArgumentException("--fail-efficiency must be between 0 and 1, got " + failEfficiency);
    }
    long maxWasted = failWasted == null ? -1 : IngestLimits.parseSize(failWasted);
    ImageReport report;
    try (InspectTarget target = source.open(root.openStore(), name, false)) {
      report = ImageReport.of(target.image());
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Output.json(out, json(report));
    } else {
      print(out, report);
    }
    return gate(report, maxWasted);
  }

  private int gate(ImageReport report, long maxWasted) {
    List<String> failures = new ArrayList<>();
    if (failEfficiency != null && report.efficiency() < failEfficiency) {
      failures.add(String.format(Locale.ROOT, "efficiency %.4f is below %s", report.efficiency(), failEfficiency));
    }
    if (maxWasted >= 0 && report.wastedBytes() > maxWasted) {
      failures.add(report.wastedBytes() + " bytes (" + Sizes.human(report.wastedBytes()) + ") are wasted, more than "
          + failWasted);
    }
    if (failures.isEmpty()) {
      return 0;
    }
    spec.commandLine().getErr().println("strata: image " + name + " fails: " + String.join("; ", failures));
    return 1;
  }

  private void print(PrintWriter out, ImageReport report) {
    InspectedImage image = report.image();
    out.printf("Image %s (%s), %d layer%s%n", image.name(), image.digest(), image.layerCount(), image.layerCount() == 1 ? "" : "s");
    Table table = new Table(">#", "DIGEST", "DIFF ID", ">SIZE", ">UNPACKED", ">ADDED", ">MODIFIED", ">DELETED",
        ">WASTED", "CREATED BY");
    for (LayerReport l : report.layers()) {
      LayerChanges c = l.changes();
      table.row(l.number(), l.descriptor().digest().toString().substring(0, 19),
          l.index().diffId().toString().substring(0, 19), Sizes.human(l.descriptor().size()),
          Sizes.human(l.index().tarSize()), c.added().size(), c.modified().size(), c.deleted().size(),
          Sizes.human(l.wastedBytes()), Output.oneLine(createdBy(l.history()), 60));
    }
    table.print(out);
    if (paths) {
      for (LayerReport l : report.layers()) {
        out.printf("%nLayer %d:%n", l.number());
        printPaths(out, "A", l.changes().added());
        printPaths(out, "M", l.changes().modified());
        printPaths(out, "D", l.changes().deleted());
      }
    }
    out.printf(Locale.ROOT, "%nFile bytes: %s in all layers, %s wasted (%d bytes); efficiency %.2f %%%n",
        Sizes.human(report.fileBytes()), Sizes.human(report.wastedBytes()), report.wastedBytes(),
        report.efficiency() * 100);
    if (!report.wastedFiles().isEmpty() && wastedFiles > 0) {
      out.printf("%nMost wasted (%d of %d paths):%n", Math.min(wastedFiles, report.wastedFiles().size()),
          report.wastedFiles().size());
      Table waste = new Table(">WASTED", "LAYERS", "PATH");
      for (WastedFile w : report.wastedFiles().subList(0, Math.min(wastedFiles, report.wastedFiles().size()))) {
        waste.row(Sizes.human(w.bytes()), w.layers().toString().replace(" ", ""), "/" + Output.name(w.path()));
      }
      waste.print(out);
    }
  }

  private static void printPaths(PrintWriter out, String mark, List<TreeNode> nodes) {
    for (TreeNode n : nodes) {
      out.println("  " + mark + " " + Nodes.name(n));
    }
  }

  private static String createdBy(History h) {
    return h == null || h.createdBy() == null ? "" : h.createdBy();
  }

  private Map<String, Object> json(ImageReport report) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", report.image().name());
    m.put("digest", report.image().digest().toString());
    List<Map<String, Object>> layers = new ArrayList<>();
    for (LayerReport l : report.layers()) {
      Map<String, Object> j = new LinkedHashMap<>();
      LayerChanges c = l.changes();
      j.put("number", l.number());
      j.put("digest", l.descriptor().digest().toString());
      j.put("diffId", l.index().diffId().toString());
      j.put("mediaType", l.descriptor().mediaType());
      j.put("size", l.descriptor().size());
      j.put("uncompressedSize", l.index().tarSize());
      j.put("entries", l.index().entries().size());
      j.put("created", l.history() == null ? null : l.history().created());
      j.put("createdBy", l.history() == null ? null : l.history().createdBy());
      j.put("added", c.added().size());
      j.put("modified", c.modified().size());
      j.put("deleted", c.deleted().size());
      j.put("dirsAdded", c.dirsAdded().size());
      j.put("dirsDeleted", c.dirsDeleted().size());
      j.put("fileBytes", l.fileBytes());
      j.put("wastedBytes", l.wastedBytes());
      if (paths) {
        j.put("addedPaths", c.added().stream().map(TreeNode::path).toList());
        j.put("modifiedPaths", c.modified().stream().map(TreeNode::path).toList());
        j.put("deletedPaths", c.deleted().stream().map(TreeNode::path).toList());
      }
      layers.add(j);
    }
    m.put("layers", layers);
    m.put("fileBytes", report.fileBytes());
    m.put("wastedBytes", report.wastedBytes());
    m.put("efficiency", report.efficiency());
    List<Map<String, Object>> wasted = new ArrayList<>();
    for (WastedFile w : report.wastedFiles()) {
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("path", w.path());
      j.put("layers", w.layers());
      j.put("bytes", w.bytes());
      wasted.add(j);
    }
    m.put("wastedFiles", wasted);
    return m;
  }
}
