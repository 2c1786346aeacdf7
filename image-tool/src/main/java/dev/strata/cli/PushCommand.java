package dev.strata.cli;

import dev.strata.image.Descriptor;
import dev.strata.layer.IngestLimits;
import dev.strata.layout.Store;
import dev.strata.registry.RegistryClient;
import dev.strata.registry.RegistryOptions;
import dev.strata.transfer.Pusher;
import dev.strata.transfer.Transports;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code strata push NAME DEST}: writes an image of the store elsewhere, keeping its digests. */
@Command(name = "push", mixinStandardHelpOptions = true,
    description = {"Write an image of the store to a destination, keeping every digest.",
        "DEST: docker://HOST/REPO[:TAG] (a bare reference means docker://), oci:DIR[:REF], oci-archive:FILE[:REF],"
            + " docker-archive:FILE[:REPO:TAG]",
        "To a registry, blobs it has are skipped, blobs pulled from another repository of it are mounted from there."})
final class PushCommand implements Callable<Integer> {
  private static final long MAX_CHUNK = 1L << 30;

  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME") String name;
  @Parameters(index = "1", paramLabel = "DEST") String dest;

  @Option(names = {"-q", "--quiet"}, description = "Print only the manifest digest.")
  boolean quiet;

  @Option(names = "--chunk-size", paramLabel = "SIZE",
      description = "To a registry, upload blobs bigger than SIZE (such as 16MiB) in PATCHed chunks of SIZE;"
          + " by default each blob goes in one request.")
  String chunkSize;

  @Mixin RegistryFlags registry;

  @Override
  public Integer call() throws Exception {
    Transports.Location location = Transports.parse(dest);
    long chunk = chunkSize == null ? 0 : IngestLimits.parseSize(chunkSize);
    if (chunkSize != null && (chunk < 1 || chunk > MAX_CHUNK)) {
      throw new IllegalArgumentException("--chunk-size wants 1 byte to 1GiB, not " + chunkSize);
    }
    RegistryOptions options = registry.options().withChunkSize(chunk);
    // The registry connection gets ready while the image loads.
    Future<RegistryClient> connecting = Pusher.connectInBackground(location, options);
    Store store = root.openStore();
    PrintWriter out = spec.commandLine().getOut();
    ProgressBars bars = ProgressBars.onTerminal(out, quiet);
    Descriptor written;
    try {
      written = Pusher.push(store, name, location, options, bars != null ? bars : ProgressBars.lines(out, quiet),
          connecting);
    } finally {
      if (bars != null) {
        bars.finish();
      }
    }
    if (quiet) {
      out.println(written.digest());
    } else {
      out.printf("pushed %s to %s: %s%n", name, location, written.digest());
    }
    return 0;
  }
}
