package dev.strata.cli;

import dev.strata.inspect.StoreUsage;
import dev.strata.layout.Store;
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

/** {@code strata df}: where the store's bytes go. */
@Command(name = "df", mixinStandardHelpOptions = true,
    description = "Show the store's space: each image's blobs, what images share, what file-level dedup saves,"
        + " and the bytes on disk.")
final class DfCommand implements Callable<Integer> {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Print JSON (schema in docs/inspect.md).")
  boolean json;

  @Override
  public Integer call() throws IOException {
    Store store = root.openStore();
    StoreUsage u;
    try (Store.Lock lock = store.shared()) {
      u = StoreUsage.of(store);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Output.json(out, json(u));
      return 0;
    }
    Table images = new Table("IMAGE", ">LAYERS", ">SIZE", ">UNIQUE");
    for (StoreUsage.ImageUsage i : u.images()) {
      if (i.error() != null) {
        images.row(i.name(), "", "", "broken: " + i.error());
      } else {
        images.row(i.name(), i.layers(), Sizes.human(i.blobBytes()), Sizes.human(i.uniqueBytes()));
      }
    }
    images.print(out);
    out.println();
    Table totals = new Table("", ">BYTES", "");
    totals.row("Logical (each image's blobs, summed)", u.logicalBytes(), Sizes.human(u.logicalBytes()));
    totals.row("Blobs (each once)", u.blobBytes(), Sizes.human(u.blobBytes()));
    totals.row("Shared between images", u.sharedBytes(), Sizes.human(u.sharedBytes()));
    totals.row("File bytes of the layers (each layer once)", u.layerFileBytes(), Sizes.human(u.layerFileBytes()));
    totals.row("File contents stored (each once)", u.objectBytes(), Sizes.human(u.objectBytes()));
    totals.row("Saved by file-level dedup", u.dedupSavedBytes(), Sizes.human(u.dedupSavedBytes()));
    for (var e : u.stored().entrySet()) {
      totals.row("On disk: " + e.getKey() + (e.getKey().equals("other") ? "" : "/"), e.getValue(), Sizes.human(e.getValue()));
    }
    totals.row("On disk in all", u.storedBytes(), Sizes.human(u.storedBytes()));
    totals.print(out);
    return 0;
  }

  private static Map<String, Object> json(StoreUsage u) {
    Map<String, Object> m = new LinkedHashMap<>();
    List<Map<String, Object>> images = new ArrayList<>();
    for (StoreUsage.ImageUsage i : u.images()) {
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("name", i.name());
      j.put("digest", i.digest().toString());
      if (i.error() != null) {
        j.put("error", i.error());
      } else {
        j.put("layers", i.layers());
        j.put("size", i.blobBytes());
        j.put("uniqueSize", i.uniqueBytes());
      }
      images.add(j);
    }
    m.put("images", images);
    m.put("logicalBytes", u.logicalBytes());
    m.put("blobBytes", u.blobBytes());
    m.put("sharedBytes", u.sharedBytes());
    m.put("layerFileBytes", u.layerFileBytes());
    m.put("objectBytes", u.objectBytes());
    m.put("dedupSavedBytes", u.dedupSavedBytes());
    m.put("storedBytes", u.storedBytes());
    m.put("stored", u.stored());
    return m;
  }
}
