package dev.strata.cli;

import dev.strata.build.BuildOptions;
import dev.strata.build.ContainerfileBuild;
import dev.strata.cli.sandbox.OwnUserNamespace;
import dev.strata.cli.sandbox.UserNamespace;
import dev.strata.image.Compression;
import dev.strata.image.Image;
import dev.strata.image.Platform;
import dev.strata.layer.IngestLimits;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import dev.strata.transfer.ImageSource;
import dev.strata.transfer.Images;
import dev.strata.transfer.Puller;
import dev.strata.transfer.TransferProgress;
import dev.strata.transfer.Transports;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code strata build -t NAME [-f Containerfile] [--build-arg K=V]... CONTEXT}: builds an image
 * from a Containerfile as {@code buildah bud --layers} does, and tags it only when every step
 * succeeded. Base images come from the store, else are pulled (any transport).
 */
@Command(name = "build", mixinStandardHelpOptions = true,
    description = "Build an image from a Containerfile: a layer per RUN, COPY and ADD, cached by content.")
final class BuildCommand implements Callable<Integer> {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "CONTEXT", defaultValue = ".", description = "The build context (default: .).")
  Path context;

  @Option(names = {"-t", "--tag"}, paramLabel = "NAME", required = true, description = "The name the image gets.")
  String tag;

  @Option(names = {"-f", "--file"}, paramLabel = "FILE",
      description = "The Containerfile (default: CONTEXT/Containerfile, else CONTEXT/Dockerfile).")
  Path file;

  @Option(names = "--build-arg", paramLabel = "K=V", description = "A value for an ARG (K alone: from the environment).")
  List<String> buildArgs = new ArrayList<>();

  @Option(names = "--target", paramLabel = "STAGE", description = "Build up to this stage.")
  String target;

  @Option(names = "--no-cache", description = "Run every step, even those the build cache has.")
  boolean noCache;

  @Option(names = "--timestamp", paramLabel = "SECONDS",
      description = "The time of the image, its history and every file of its new layers (reproducible: the same "
          + "digest from the same inputs); default: SOURCE_DATE_EPOCH or 0 for the image, files keep their own.")
  Long timestamp;

  @Option(names = "--compression", paramLabel = "gzip|zstd", defaultValue = "gzip", description = "How new layers are compressed.")
  String compression;

  @Option(names = "--format", paramLabel = "oci|docker", defaultValue = "oci", description = "The image format.")
  String format;

  @Option(names = "--network", paramLabel = "none|host", defaultValue = "none", description = "RUN's network.")
  String network;

  @Mixin RegistryFlags registry;

  @Override
  public Integer call() throws Exception {
    if (!network.equals("none") && !network.equals("host")) {
      throw new IllegalArgumentException("--network " + network + ": expected none or host");
    }
    Store.checkTag(tag);
    BuildOptions options = options();
    if (OwnUserNamespace.wanted()) {
      return OwnUserNamespace.rerun(UserNamespace.forThisProcess());
    }
    Path containerfile = containerfile();
    Store store = root.openStore();
    PrintWriter out = spec.commandLine().getOut();
    try (BuildRunner runner = new BuildRunner()) {
      ContainerfileBuild build = new ContainerfileBuild(store, runner, images(store), out);
      Image image = build.build(new ContainerfileBuild.Request(containerfile, context, args(), target, noCache, options,
          timestamp != null, network.equals("host")));
      Puller.Result r = new Puller(store, IngestLimits.DEFAULT, e -> { }).pull(Images.source(image, tag), tag,
          Platform.current());
      out.printf("COMMIT %s%n--> %s%nSuccessfully tagged %s%n%s%n", tag, r.manifest().digest().shortHex(), tag,
          r.manifest().digest());
    }
    return 0;
  }

  private BuildOptions options() {
    BuildOptions o = BuildOptions.defaults().withFormat(switch (format.toLowerCase(Locale.ROOT)) {
      case "oci" -> BuildOptions.Format.OCI;
      case "docker" -> BuildOptions.Format.DOCKER;
      default -> throw new IllegalArgumentException("--format " + format + ": expected oci or docker");
    }).withCompression(switch (compression.toLowerCase(Locale.ROOT)) {
      case "gzip" -> Compression.GZIP;
      case "zstd" -> Compression.ZSTD;
      default -> throw new IllegalArgumentException("--compression " + compression + ": expected gzip or zstd");
    });
    return timestamp != null ? o.withTimestamp(Instant.ofEpochSecond(timestamp)) : o;
  }

  private Path containerfile() {
    if (file != null) {
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("-f " + file + ": no such file");
      }
      return file;
    }
    for (String n : List.of("Containerfile", "Dockerfile")) {
      if (Files.isRegularFile(context.resolve(n))) {
        return context.resolve(n);
      }
    }
    throw new IllegalArgumentException("no Containerfile or Dockerfile in " + context + " (name one with -f)");
  }

  private Map<String, String> args() {
    Map<String, String> out = new LinkedHashMap<>();
    for (String a : buildArgs) {
      int eq = a.indexOf('=');
      if (eq < 0) {
        String v = System.getenv(a);
        if (v != null) {
          out.put(a, v);
        }
      } else {
        out.put(a.substring(0, eq), a.substring(eq + 1));
      }
    }
    return out;
  }

  /** A FROM or COPY --from name: an image of the store, else pulled (any transport) and named as pulled. */
  private Function<String, Image> images(Store store) {
    return name -> {
      try {
        if (store.resolve(name).isPresent()) {
          return Images.of(store, StoredImage.load(store, name));
        }
        Transports.Location location = Transports.parse(name);
        try (ImageSource src = Transports.open(location, store, registry.options(), TransferProgress.NONE)) {
          src.manifest(Platform.current());
          String tag = src.suggestedName();
          Puller.Result r = new Puller(store, IngestLimits.DEFAULT, e -> { }).pull(src, tag, Platform.current());
          return Images.of(store, StoredImage.load(store, tag, r.manifest()));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
  }
}
