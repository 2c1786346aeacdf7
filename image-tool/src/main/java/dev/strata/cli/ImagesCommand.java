package dev.strata.cli;

import dev.strata.image.Descriptor;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code strata images}: the images of the store. */
@Command(name = "images", mixinStandardHelpOptions = true, description = "List the images in the store.")
final class ImagesCommand implements Callable<Integer> {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Print a JSON array of {name, digest, layers, size, created, platform},"
      + " with error saying why when an image cannot be mounted.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    Store store = root.openStore();
    PrintWriter out = spec.commandLine().getOut();
    List<Map<String, Object>> rows = new ArrayList<>();
    for (var tag : store.tags().entrySet()) {
      Map<String, Object> row = new LinkedHashMap<>();
      Descriptor d = tag.getValue();
      row.put("name", tag.getKey());
      row.put("digest", d.digest().toString());
      try {
        StoredImage image = StoredImage.load(store, tag.getKey());
        row.put("layers", image.manifest().layers().size());
        row.put("size", image.manifest().layers().stream().mapToLong(Descriptor::size).sum());
        row.put("created", image.config().created());
        row.put("platform", image.config().os() + "/" + image.config().architecture());
        String unmountable = image.unmountable(store);
        if (unmountable != null) {
          row.put("error", "cannot be mounted: " + unmountable);
        }
      } catch (IOException e) {
        row.put("error", e.getMessage());
      }
      rows.add(row);
    }
    if (json) {
      Output.json(out, rows);
      return 0;
    }
    out.printf("%-32s %-19s %6s %10s  %s%n", "NAME", "DIGEST", "LAYERS", "SIZE", "CREATED");
    for (Map<String, Object> row : rows) {
      if (row.containsKey("error")) {
        out.printf("%-32s %-19s  broken: %s%n", row.get("name"), ((String) row.get("digest")).substring(0, 19), row.get("error"));
      } else {
        out.printf("%-32s %-19s %6d %10s  %s%n", row.get("name"), ((String) row.get("digest")).substring(0, 19),
            row.get("layers"), Sizes.human((Long) row.get("size")), row.get("created") == null ? "" : row.get("created"));
      }
    }
    return 0;
  }
}
