package dev.strata.cli;

import dev.strata.digest.Digest;
import dev.strata.image.Descriptor;
import dev.strata.image.History;
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
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code strata inspect NAME}: an image's manifest, config and layers. */
@Command(name = "inspect", mixinStandardHelpOptions = true, description = "Show an image's manifest, config and layers.")
final class InspectCommand implements Callable<Integer> {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME", description = "A name or manifest digest in the store.")
  String name;

  @Option(names = "--json", description = "Print JSON (schema in docs/inspect.md).")
  boolean json;

  @Override
  public Integer call() throws IOException {
    Store store = root.openStore();
    StoredImage image = StoredImage.load(store, name);
    PrintWriter out = spec.commandLine().getOut();
    Map<String, Object> info = describe(store, image);
    if (json) {
      Output.json(out, info);
      return 0;
    }
    out.printf("Name:         %s%n", name);
    out.printf("Digest:       %s%n", image.descriptor().digest());
    out.printf("MediaType:    %s%n", image.manifest().mediaType());
    out.printf("Config:       %s%n", image.manifest().config().digest());
    out.printf("Platform:     %s%n", info.get("platform"));
    out.printf("Created:      %s%n", image.config().created());
    if (!image.config().entrypoint().isEmpty()) {
      out.printf("Entrypoint:   %s%n", image.config().entrypoint());
    }
    out.printf("Cmd:          %s%n", image.config().cmd());
    for (String env : image.config().env()) {
      out.printf("Env:          %s%n", env);
    }
    out.printf("Layers:%n");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> layers = (List<Map<String, Object>>) info.get("layers");
    for (Map<String, Object> l : layers) {
      // A layer another tool wrote into the store has no index until its first mount.
      out.printf("  %s %10s  %s%n      diff id %s, %s%s%n", l.get("digest"), Sizes.human((Long) l.get("size")),
          l.get("mediaType"), l.get("diffId"), l.get("entries") == null ? "not indexed yet" : l.get("entries") + " entries",
          l.get("createdBy") == null ? "" : "\n      created by: " + l.get("createdBy"));
    }
    return 0;
  }

  static Map<String, Object> describe(Store store, StoredImage image) {
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("name", image.name());
    info.put("digest", image.descriptor().digest().toString());
    info.put("mediaType", image.manifest().mediaType());
    info.put("config", image.manifest().config().digest().toString());
    info.put("platform", image.config().os() + "/" + image.config().architecture()
        + (image.config().variant() == null ? "" : "/" + image.config().variant()));
    info.put("created", image.config().created());
    info.put("author", image.config().author());
    info.put("entrypoint", image.config().entrypoint());
    info.put("cmd", image.config().cmd());
    info.put("env", image.config().env());
    info.put("workingDir", image.config().workingDir());
    info.put("user", image.config().user());
    List<History> history = image.config().layerHistory();
    List<Map<String, Object>> layers = new ArrayList<>();
    for (int i = 0; i < image.manifest().layers().size(); i++) {
      Descriptor l = image.manifest().layers().get(i);
      Digest diffId = image.config().diffIds().get(i);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("digest", l.digest().toString());
      m.put("size", l.size());
      m.put("mediaType", l.mediaType());
      m.put("diffId", diffId.toString());
      try {
        var index = store.layers().read(diffId);
        m.put("uncompressedSize", index.tarSize());
        m.put("entries", index.entries().size());
      } catch (IOException e) {
        m.put("entries", null);
      }
      m.put("createdBy", i < history.size() ? history.get(i).createdBy() : null);
      layers.add(m);
    }
    info.put("layers", layers);
    return info;
  }
}
