package dev.strata.build;

import dev.strata.build.containerfile.Containerfile;
import dev.strata.build.containerfile.ContainerfileException;
import dev.strata.build.containerfile.IgnoreRules;
import dev.strata.build.containerfile.Instruction;
import dev.strata.build.containerfile.KeyValue;
import dev.strata.build.containerfile.Stage;
import dev.strata.build.containerfile.Substitution;
import dev.strata.digest.Digest;
import dev.strata.image.History;
import dev.strata.image.Image;
import dev.strata.image.Platform;
import dev.strata.layer.IngestLimits;
import dev.strata.layout.BuildCache;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import dev.strata.transfer.Images;
import dev.strata.transfer.Puller;
import dev.strata.union.IdMap;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Builds an image from a Containerfile, as {@code buildah bud --layers} does: one layer per
 * {@code RUN}, {@code COPY} and {@code ADD} (the changes of a union over the image so far, so a
 * deleted file of the base becomes a whiteout), the other instructions changing the config,
 * each with a history entry as buildah writes it. {@code RUN} runs in a container that a
 * {@link Runner} starts on a mount of the union.
 *
 * <p>A step whose key is in the store's {@link BuildCache} is not run again: the key is the
 * parent image, the instruction after substitution, the build arguments in scope and, for a
 * copy, the digest of what it copies ({@link ContentKey}: contents, modes and owners, not times),
 * and the options that shape a layer's bytes.
 */
public final class ContainerfileBuild {
  /** Starts containers for {@code RUN}: the id maps their unions show, and the run. */
  public interface Runner {
    /** The user ids the container's namespace shows the union through. */
    default IdMap uids() {
      return IdMap.IDENTITY;
    }

    /** The group ids likewise. */
    default IdMap gids() {
      return IdMap.IDENTITY;
    }

    /**
     * Runs {@code request} in a container whose root is {@code union}, then calls {@code then}
     * with its exit code while the union is still open (a mount's end closes its union).
     */
    void run(ImageUnion union, RunRequest request, AfterRun then) throws IOException, InterruptedException;
  }

  /** What a build does once a RUN's command has exited: check the code, commit the changes. */
  @FunctionalInterface
  public interface AfterRun {
    void exited(int code) throws IOException;
  }

  /**
   * One {@code RUN}: the command, its environment (the image's and the build arguments in
   * scope), its working directory and user, and whether it may reach the host's network.
   */
  public record RunRequest(List<String> argv, List<String> env, String workingDir, String user,
      boolean hostNetwork) {}

  /**
   * What to build.
   *
   * @param containerfile the Containerfile
   * @param context the directory COPY and ADD read from
   * @param buildArgs values of ARGs ({@code --build-arg})
   * @param target the stage to build (null: the last)
   * @param noCache run every step, even those the cache has (and record them)
   * @param fixTimes every file of a new layer gets the build's time, as buildah's --timestamp
   * @param hostNetwork RUN reaches the host's network (else none)
   */
  public record Request(Path containerfile, Path context, Map<String, String> buildArgs, String target,
      boolean noCache, BuildOptions options, boolean fixTimes, boolean hostNetwork) {}

  /** A build that failed at a step: the step is named; nothing was tagged. */
  public static final class StepFailedException extends IOException {
    StepFailedException(String message) {
      super(message);
    }

    StepFailedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private static final List<String> DEFAULT_SHELL = List.of("/bin/sh", "-c");

  private final Store store;
  private final Runner runner;
  private final Function<String, Image> images;
  private final PrintWriter log;
  private final BuildCache cache;
  /** The digests of context files read by earlier builds (all read again under --no-cache). */
  private FileDigests fileDigests = FileDigests.none();

  /**
   * A builder over {@code store}: {@code images} turns a FROM or COPY --from name that is no stage
   * into an image (from the store, or pulled), {@code log} hears each step.
   */
  public ContainerfileBuild(Store store, Runner runner, Function<String, Image> images, PrintWriter log) {
    this.store = store;
    this.runner = runner;
    this.images = images;
    this.log = log;
    this.cache = new BuildCache(store);
  }

  /** Builds {@code request}; returns the image of its target stage, stored in the store untagged. */
  public Image build(Request request) throws IOException, InterruptedException {
    String name = request.containerfile().getFileName().toString();
    Containerfile file = Containerfile.parse(Files.readString(request.containerfile(), StandardCharsets.UTF_8), name);
    Substitution substitution = Substitution.withEscape(file.escape());
    IgnoreRules ignore = ignoreRules(request.context());
    Map<String, String> global = new LinkedHashMap<>(platformArgs());
    for (Instruction arg : file.globalArgs()) {
      declare(arg, substitution, global, request.buildArgs(), s -> global.get(s));
    }
    int last = file.stages().size() - 1;
    if (request.target() != null) {
      last = -1;
      for (Stage s : file.stages()) {
        if (request.target().toLowerCase(Locale.ROOT).equals(s.name())) {
          last = s.index();
        }
      }
      if (last < 0) {
        throw new IllegalArgumentException("--target " + request.target() + ": no stage of that name in " + name);
      }
    }
    int steps = 0;
    for (int i = 0; i <= last; i++) {
      steps += 1 + file.stages().get(i).instructions().size();
    }
    Map<String, Image> built = new HashMap<>();
    Image image = null;
    int[] step = {0};
    fileDigests = request.noCache() ? FileDigests.fresh(store) : FileDigests.load(store);
    // Held through the build: gc must not take the layers a step wrote before its image is
    // stored, nor the images of steps the next ones stand on.
    try (Store.Lock lock = store.shared()) {
      for (int i = 0; i <= last; i++) {
        Stage stage = file.stages().get(i);
        image = new StageRun(request, name, substitution, ignore, global, built, step, steps).run(stage);
        built.put(Integer.toString(stage.index()), image);
        if (stage.name() != null) {
          built.put(stage.name(), image);
        }
      }
    } finally {
      fileDigests.save();
    }
    return image;
  }

  private static IgnoreRules ignoreRules(Path context) throws IOException {
    for (String n : List.of(".containerignore", ".dockerignore")) {
      Path p = context.resolve(n);
      if (Files.isRegularFile(p)) {
        return IgnoreRules.parse(Files.readString(p, StandardCharsets.UTF_8));
      }
    }
    return IgnoreRules.parse("");
  }

  /** The platform ARGs buildah and BuildKit define: visible where a stage declares them. */
  private static Map<String, String> platformArgs() {
    Platform p = Platform.current();
    Map<String, String> m = new LinkedHashMap<>();
    for (String prefix : List.of("TARGET", "BUILD")) {
      m.put(prefix + "PLATFORM", p.toString());
      m.put(prefix + "OS", p.os());
      m.put(prefix + "ARCH", p.architecture());
      m.put(prefix + "VARIANT", p.variant() == null ? "" : p.variant());
    }
    return m;
  }

  /** Declares the ARG {@code in} in {@code scope}: its build-arg value, else its default, else what {@code outer} has. */
  private static void declare(Instruction in, Substitution substitution, Map<String, String> scope,
      Map<String, String> buildArgs, Function<String, String> lookup) {
    for (KeyValue kv : in.keyValues()) {
      String value = kv.value() == null ? null : substitution.expand(kv.value(), lookup);
      if (buildArgs.containsKey(kv.key())) {
        value = buildArgs.get(kv.key());
      } else if (value == null) {
        value = scope.get(kv.key());
      }
      scope.put(kv.key(), value);
    }
  }

  /** The run of one stage: its image so far, its arguments and shell. */
  private final class StageRun {
    private final Request request;
    private final String fileName;
    private final Substitution substitution;
    private final IgnoreRules ignore;
    private final Map<String, String> global;
    private final Map<String, Image> built;
    private final int[] step;
    private final int steps;
    private final Map<String, String> args = new LinkedHashMap<>();
    private final List<String> pendingDirectories = new ArrayList<>();
    private Image image;
    private List<String> shell = DEFAULT_SHELL;
    /** Whether this stage set CMD: an ENTRYPOINT after it keeps it; one after the base's drops it. */
    private boolean cmdSet;

    StageRun(Request request, String fileName, Substitution substitution, IgnoreRules ignore,
        Map<String, String> global, Map<String, Image> built, int[] step, int steps) {
      this.request = request;
      this.fileName = fileName;
      this.substitution = substitution;
      this.ignore = ignore;
      this.global = global;
      this.built = built;
      this.step = step;
      this.steps = steps;
    }

    Image run(Stage stage) throws IOException, InterruptedException {
      Instruction from = stage.from();
      say(from);
      String base = substitution.expand(from.args().get(0), global::get);
      image = base.equals("scratch") ? Mutations.scratch(Platform.current(), request.options())
          : built.containsKey(base.toLowerCase(Locale.ROOT)) ? built.get(base.toLowerCase(Locale.ROOT))
          : images.apply(base);
      image = Mutations.convert(image, request.options().format());
      for (Instruction in : stage.instructions()) {
        say(in);
        try {
          instruction(in);
        } catch (StepFailedException | InterruptedException e) {
          throw e;
        } catch (IOException | RuntimeException e) {
          if (e instanceof ContainerfileException) {
            throw e; // names its own line; a usage error, not a failed step
          }
          throw new StepFailedException(where(in) + ": " + e.getMessage(), e);
        }
      }
      return image;
    }

    private void say(Instruction in) {
      log.printf("STEP %d/%d: %s%n", ++step[0], steps, in.original());
      log.flush();
    }

    private String where(Instruction in) {
      return fileName + ":" + in.line() + " " + in.keyword();
    }

    /** Looks a name up as a Containerfile does: the image's ENV first, then the ARGs in scope. */
    private String lookup(String key) {
      String v = environment().get(key);
      return v != null ? v : args.get(key);
    }

    private Map<String, String> environment() {
      Map<String, String> env = new LinkedHashMap<>();
      for (String e : image.config().env()) {
        int eq = e.indexOf('=');
        env.put(eq < 0 ? e : e.substring(0, eq), eq < 0 ? "" : e.substring(eq + 1));
      }
      return env;
    }

    /** The arguments with variables expanded, one word each (quotes removed, escapes applied). */
    private List<String> words(Instruction in) {
      List<String> out = new ArrayList<>();
      for (String w : in.args()) {
        out.add(substitution.expand(w, this::lookup));
      }
      return out;
    }

    /** ENV's and LABEL's names and values, the values expanded. */
    private Map<String, String> pairs(Instruction in) {
      Map<String, String> out = new LinkedHashMap<>();
      for (KeyValue kv : in.keyValues()) {
        out.put(kv.key(), substitution.expand(kv.value() == null ? "" : kv.value(), this::lookup));
      }
      return out;
    }

    private void instruction(Instruction in) throws IOException, InterruptedException {
      switch (in.keyword()) {
        case "ARG" -> declare(in, substitution, args, request.buildArgs(),
            k -> global.containsKey(k) ? global.get(k) : args.get(k));
        case "ENV" -> {
          Map<String, String> env = pairs(in);
          config(in, c -> env.forEach(c::env));
        }
        case "LABEL" -> {
          Map<String, String> labels = pairs(in);
          config(in, c -> labels.forEach(c::label));
        }
        case "WORKDIR" -> {
          String dir = absolute(words(in).get(0));
          pendingDirectories.add(dir);
          config(in, c -> c.workingDir(dir));
        }
        case "USER" -> config(in, c -> c.user(words(in).get(0)));
        case "EXPOSE" -> {
          List<String> ports = substitution.expandWords(String.join(" ", in.args()), this::lookup);
          config(in, c -> ports.forEach(c::exposedPort));
        }
        case "VOLUME" -> config(in, c -> words(in).forEach(c::volume));
        case "STOPSIGNAL" -> config(in, c -> c.stopSignal(words(in).get(0)));
        case "MAINTAINER" -> config(in, c -> c.author(String.join(" ", in.args())));
        case "SHELL" -> {
          shell = List.copyOf(in.args());
          config(in, c -> c.shell(shell));
        }
        case "ENTRYPOINT" -> config(in, c -> {
          c.entrypoint(command(in));
          if (!cmdSet) {
            c.cmd(null); // the base's CMD was for the base's ENTRYPOINT, as Docker's builders reason
          }
        });
        case "CMD" -> {
          cmdSet = true;
          config(in, c -> c.cmd(command(in)));
        }
        case "HEALTHCHECK" -> config(in, c -> Healthchecks.apply(in, c));
        case "ONBUILD" -> config(in, c -> c.onBuild(String.join(" ", in.args())));
        case "RUN" -> run(in);
        case "COPY", "ADD" -> copy(in);
        default -> throw new ContainerfileException(fileName, in.line(), in.keyword() + " is not supported");
      }
    }

    private List<String> command(Instruction in) {
      if (in.json()) {
        return List.copyOf(in.args());
      }
      List<String> cmd = new ArrayList<>(shell);
      cmd.add(in.args().get(0));
      return cmd;
    }

    private String absolute(String path) {
      if (path.startsWith("/")) {
        return path;
      }
      String wd = image.config().workingDir() == null || image.config().workingDir().isEmpty() ? "/"
          : image.config().workingDir();
      return wd.endsWith("/") ? wd + path : wd + "/" + path;
    }

    private void config(Instruction in, java.util.function.Consumer<ConfigEditor> change) throws IOException {
      image = Mutations.editConfig(image, c -> {
        change.accept(c);
        c.history(new History(request.options().timestamp().toString(), "/bin/sh -c #(nop) " + in.original(), null,
            null, true));
      });
    }

    private void run(Instruction in) throws IOException, InterruptedException {
      List<String> argv = command(in);
      Digest key = key(in, String.join("\0", argv) + "\0network=" + request.hostNetwork());
      if (cached(key)) {
        return;
      }
      List<String> env = new ArrayList<>(image.config().env());
      for (Map.Entry<String, String> a : args.entrySet()) {
        if (a.getValue() != null && environment().get(a.getKey()) == null) {
          env.add(a.getKey() + "=" + a.getValue());
        }
      }
      String wd = image.config().workingDir() == null || image.config().workingDir().isEmpty() ? "/"
          : image.config().workingDir();
      Image next;
      try (ImageUnion union = ImageUnion.open(store, image, runner.uids(), runner.gids())) {
        directories(union);
        Image[] made = new Image[1];
        runner.run(union, new RunRequest(argv, env, wd, image.config().user(), request.hostNetwork()), code -> {
          if (code != 0) {
            throw new StepFailedException(where(in) + " " + String.join(" ", in.args()) + ": the command exited with "
                + code);
          }
          made[0] = union.commitInto(store, request.options(), ranBy(in, argv), request.fixTimes());
        });
        next = made[0];
      }
      stored(next, key);
    }

    /**
     * The history line of a RUN as buildah writes it: {@code /bin/sh -c} and the command as
     * written (an exec form's JSON array as text), whatever SHELL says.
     */
    private static String ranBy(Instruction in, List<String> argv) {
      if (!in.json()) {
        return "/bin/sh -c " + argv.get(argv.size() - 1);
      }
      String text = in.original().strip().substring(in.keyword().length()).strip();
      while (text.startsWith("--")) { // RUN's flags (--network=...) are not part of the command
        int space = text.indexOf(' ');
        text = space < 0 ? "" : text.substring(space + 1).strip();
      }
      return "/bin/sh -c " + text;
    }

    private void copy(Instruction in) throws IOException, InterruptedException {
      boolean add = in.keyword().equals("ADD");
      List<String> words = words(in);
      if (words.size() < 2) {
        throw new ContainerfileException(fileName, in.line(), in.keyword()
            + " needs a source and a destination");
      }
      List<String> sources = words.subList(0, words.size() - 1);
      String dest = absolute(words.get(words.size() - 1));
      CopyOptions options = copyOptions(in);
      String fromName = in.flags().get("from");
      Image from = fromName == null ? null : source(substitution.expand(fromName, this::lookup));
      StringBuilder what = new StringBuilder(in.keyword()).append(' ').append(in.flags()).append(' ').append(dest);
      List<Path> hostSources = new ArrayList<>();
      // Each source walked once: the cache key is taken from the walk, and the layer from it.
      List<HostTree> walked = new ArrayList<>();
      try {
        List<Digest> copied = new ArrayList<>();
        if (from == null) {
          for (String s : sources) {
            if (s.contains("://")) {
              throw new ContainerfileException(fileName, in.line(), in.keyword() + " of a URL (" + s
                  + ") is not supported; fetch it in a RUN");
            }
            Path p = inContext(s, in);
            hostSources.add(p);
            walked.add(HostTree.walk(p, contextFilter(p, options)));
            copied.add(ContentKey.of(walked.get(walked.size() - 1), dest + "/", fileDigests));
            what.append(' ').append(s).append('=').append(copied.get(copied.size() - 1));
          }
        } else {
          what.append(" from=").append(from.descriptor().digest()).append(' ').append(String.join(" ", sources));
        }
        Digest key = key(in, what.toString());
        if (!cached(key)) {
          copyLayer(in, add, words, dest, options, from, hostSources, walked, copied, key);
        }
      } finally {
        walked.forEach(HostTree::close);
      }
    }

    /** Writes a COPY's layer, not found in the cache under {@code key}, and makes it the stage's image. */
    private void copyLayer(Instruction in, boolean add, List<String> words, String dest, CopyOptions options,
        Image from, List<Path> hostSources, List<HostTree> walked, List<Digest> copied, Digest key)
        throws IOException, InterruptedException {
      List<String> sources = words.subList(0, words.size() - 1);
      boolean many = sources.size() > 1 || dest.endsWith("/");
      Image next;
      // A layer of what the step copies, written straight from its sources: nothing goes through
      // a host directory. The image is read only for where the copy lands (its symlinks
      // followed) and for the owners and modes of the directories the layer passes through.
      try (ImageUnion view = ImageUnion.open(store, image)) {
        String target = view.resolve(dest);
        boolean into = many || view.isDirectory("/" + target);
        Draft draft = view.draft();
        for (String d : pendingDirectories) {
          draft.ensureDirectory(view.resolve(d));
        }
        pendingDirectories.clear();
        if (from != null) {
          try (ImageUnion source = ImageUnion.open(store, from)) { // read when the layer is written
            List<Boolean> directories = new ArrayList<>();
            for (String s : sources) {
              ImageUnion.copyFrom(source, s, target, into, options, draft);
              directories.add(source.isDirectory("/" + source.resolve(s)));
              // The stage's image digest fixes what its path holds.
              copied.add(Digest.sha256((from.descriptor().digest() + "\n" + s).getBytes(StandardCharsets.UTF_8)));
            }
            next = UnionCommit.append(image, StoredLayer.write(store, image, request.options(), LayerBuilder.tar(draft, request.options())),
                copiedFrom(in, directories, copied, words.get(words.size() - 1)), request.options());
          }
        } else {
          for (int i = 0; i < hostSources.size(); i++) {
            Path p = hostSources.get(i);
            if (add && ArchiveTree.isArchive(p)) {
              ArchiveTree.unpack(p, target, draft, options);
            } else {
              walked.get(i).copyTo(target, into, draft); // files read when the layer is written
            }
          }
          next = UnionCommit.append(image, StoredLayer.write(store, image, request.options(), LayerBuilder.tar(draft, request.options())),
              copiedFrom(in, hostSources.stream().map(Files::isDirectory).toList(), copied,
                  words.get(words.size() - 1)), request.options());
        }
      }
      stored(next, key);
    }

    /** COPY's options: --chown, --chmod; host times kept unless the build fixes them. */
    private CopyOptions copyOptions(Instruction in) throws IOException {
      CopyOptions o = CopyOptions.DEFAULTS.withKeepTimes(!request.fixTimes());
      String chown = in.flags().get("chown");
      if (chown != null) {
        try (ImageUnion union = ImageUnion.open(store, image)) {
          long[] ids = Owners.resolve(union, substitution.expand(chown, this::lookup));
          o = o.withOwner(ids[0], ids[1]);
        }
      }
      String chmod = in.flags().get("chmod");
      if (chmod != null) {
        try {
          o = o.withMode(Integer.parseInt(chmod, 8));
        } catch (NumberFormatException e) {
          throw new ContainerfileException(fileName, in.line(), "--chmod=" + chmod + " is not an octal mode");
        }
      }
      return o;
    }

    /** The options of a copy from the context, leaving out what the ignore file names. */
    /**
     * The history line of a COPY or ADD from the context, as buildah and Docker's classic builder
     * write it: what was copied named by its digest ({@code dir:}, {@code file:}, or {@code
     * multi:} for several sources), then where it went, so two builds that copied the same
     * content read the same.
     */
    private static String copiedFrom(Instruction in, List<Boolean> directories, List<Digest> digests, String dest) {
      StringBuilder line = new StringBuilder("/bin/sh -c #(nop) ").append(in.keyword());
      Digest what = digests.size() == 1 ? digests.get(0)
          : Digest.sha256(digests.stream().map(Digest::toString).collect(java.util.stream.Collectors.joining("\n"))
              .getBytes(StandardCharsets.UTF_8));
      String kind = digests.size() > 1 ? "multi" : directories.get(0) ? "dir" : "file";
      return line.append(' ').append(kind).append(':').append(what.hex()).append(" in ").append(dest).append(' ')
          .toString();
    }

    private CopyOptions contextFilter(Path source, CopyOptions options) {
      if (ignore.patterns().isEmpty()) {
        return options; // nothing to leave out: no test of every path
      }
      Path context = request.context().toAbsolutePath().normalize();
      String base = context.relativize(source.toAbsolutePath().normalize()).toString();
      return options.withInclude(rel -> !ignore.excludes(base.isEmpty() ? rel : base + "/" + rel),
          rel -> ignore.mayHoldIncluded(base.isEmpty() ? rel : base + "/" + rel));
    }

    private Path inContext(String source, Instruction in) throws IOException {
      Path context = request.context().toRealPath();
      Path p = context.resolve(source.startsWith("/") ? source.substring(1) : source).normalize();
      if (!p.startsWith(context)) {
        throw new ContainerfileException(fileName, in.line(), in.keyword() + " source '" + source
            + "' is outside the build context " + context);
      }
      if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        throw new ContainerfileException(fileName, in.line(), in.keyword() + " source '" + source
            + "' does not exist in the build context " + context);
      }
      Path real = p.toRealPath();
      if (!real.startsWith(context)) {
        throw new ContainerfileException(fileName, in.line(), in.keyword() + " source '" + source
            + "' leads outside the build context (" + real + ")");
      }
      return p;
    }

    private Image source(String name) {
      Image stage = built.get(name.toLowerCase(Locale.ROOT));
      return stage != null ? stage : images.apply(name);
    }

    /** Makes the WORKDIRs set since the last layer, in the union of the next one. */
    private void directories(ImageUnion union) throws IOException {
      for (String d : pendingDirectories) {
        union.makeDirectories(d);
      }
      pendingDirectories.clear();
    }

    private Digest key(Instruction in, String what) {
      StringBuilder k = new StringBuilder()
          .append("parent ").append(image.descriptor().digest()).append('\n')
          .append("step ").append(in.keyword()).append(' ').append(what).append('\n')
          .append("workdirs ").append(pendingDirectories).append('\n')
          .append("args ").append(new TreeMap<>(nonNull(args))).append('\n')
          .append("layer ").append(request.options().compression()).append(' ').append(request.options().level())
          .append(' ').append(request.options().format()).append(' ').append(request.options().timestamp())
          .append(' ').append(request.fixTimes()).append('\n');
      return Digest.sha256(k.toString().getBytes(StandardCharsets.UTF_8));
    }

    private boolean cached(Digest key) throws IOException {
      if (request.noCache()) {
        return false;
      }
      Optional<dev.strata.image.Descriptor> hit = cache.get(key);
      if (hit.isEmpty()) {
        return false;
      }
      StoredImage stored = StoredImage.load(store, hit.get().digest().toString(), hit.get());
      image = Images.of(store, stored);
      pendingDirectories.clear();
      log.println("--> Using cache " + hit.get().digest());
      log.flush();
      return true;
    }

    /** Stores {@code next} (untagged), records it under {@code key} and goes on from it. */
    private void stored(Image next, Digest key) throws IOException {
      Puller.Result r = new Puller(store, IngestLimits.DEFAULT, e -> { }).pull(Images.source(next, null), null,
          Platform.current());
      cache.put(key, r.manifest());
      image = Images.of(store, StoredImage.load(store, r.manifest().digest().toString(), r.manifest()));
      log.println("--> " + r.manifest().digest());
      log.flush();
    }
  }

  private static Map<String, String> nonNull(Map<String, String> m) {
    Map<String, String> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, v == null ? "" : v));
    return out;
  }
}
