package dev.strata.cli;

import dev.strata.image.Platform;
import dev.strata.layer.IngestLimits;
import dev.strata.layout.Store;
import dev.strata.transfer.ImageSource;
import dev.strata.transfer.Puller;
import dev.strata.transfer.TransferProgress;
import dev.strata.transfer.Transports;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code strata pull SOURCE [NAME]}: copies an image into the store, skipping layers it has. */
@Command(name = "pull", mixinStandardHelpOptions = true,
    description = {"Pull an image into the store. Layers the store already has are not copied again.",
        "SOURCE: docker://HOST/REPO[:TAG|@DIGEST] (a bare reference means docker://; alpine is"
            + " docker.io/library/alpine:latest), oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:REPO:TAG]",
        "From a registry, layers download three at a time, broken downloads resume, and every byte is verified."})
final class PullCommand implements Callable<Integer> {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SOURCE", description = "Where the image is.")
  String source;

  @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "The name to give it (default: the source's tag).")
  String name;

  @Mixin PlatformOption platform;

  @Option(names = "--max-layer-size", paramLabel = "SIZE", defaultValue = "64GiB",
      description = "Refuse a layer that expands beyond SIZE (default: ${DEFAULT-VALUE}).")
  String maxLayerSize;

  @Option(names = {"-q", "--quiet"}, description = "Print only the manifest digest.")
  boolean quiet;

  @Mixin RegistryFlags registry;

  @Override
  public Integer call() throws Exception {
    Transports.Location location = Transports.parse(source);
    Platform p = platform.get();
    IngestLimits limits = IngestLimits.DEFAULT.withMaxUncompressedBytes(IngestLimits.parseSize(maxLayerSize));
    if (name != null) {
      Store.checkTag(name);
    }
    PrintWriter out = spec.commandLine().getOut();
    Store store = root.openStore();
    // Held from the start: archives are staged in the store's tmp/, which gc clears.
    ProgressBars bars = ProgressBars.onTerminal(out, quiet);
    try (Store.Lock lock = store.shared();
        ImageSource src = Transports.open(location, store, registry.options(),
            bars != null ? bars : TransferProgress.NONE)) {
      Puller puller = new Puller(store, limits, event -> {
        if (bars != null) {
          bars.note(event.layer(), LayerLines.outcome(event));
        } else if (!quiet) {
          out.println(LayerLines.describe(event));
          out.flush();
        }
      });
      String tag = name;
      if (tag == null) {
        // The source knows its name only once it has read its manifest (docker-archive).
        src.manifest(p);
        tag = src.suggestedName();
      }
      Puller.Result result;
      try {
        result = puller.pull(src, Store.checkTag(tag), p);
      } finally {
        if (bars != null) {
          bars.finish();
        }
      }
      if (quiet) {
        out.println(result.manifest().digest());
      } else {
        long copied = result.layersCopied();
        int total = result.layers().size();
        out.printf("pulled %s %s: %d layer%s, %s%n", result.name(), result.manifest().digest(), total,
            total == 1 ? "" : "s",
            copied == 0 ? "all already in the store, nothing copied" : copied + " copied, " + (total - copied) + " already in the store");
      }
    }
    return 0;
  }
}
