package dev.strata.cli;

import dev.strata.image.Descriptor;
import dev.strata.layer.IngestLimits;
import dev.strata.layer.UnsafeLayerException;
import dev.strata.layout.Store;
import dev.strata.layout.VolumeSnapshots.Snapshot;
import dev.strata.transfer.ImageLocation;
import dev.strata.transfer.ImageSource;
import dev.strata.transfer.Puller;
import dev.strata.transfer.TransferProgress;
import dev.strata.transfer.Transports;
import dev.strata.volume.Volume;
import dev.strata.volume.Volumes;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code strata volume}: volumes, data that outlives containers; each subcommand a class of its
 * own below. The JSON of {@code ls} and {@code inspect} is documented in docs/volumes.md.
 */
@Command(name = "volume", mixinStandardHelpOptions = true,
    description = "Manage volumes: data that outlives containers, kept in the store, with snapshots on branches.",
    subcommands = {VolumeCommand.Create.class, VolumeCommand.Ls.class, VolumeCommand.Inspect.class,
        VolumeCommand.Rm.class, VolumeCommand.Prune.class, VolumeCommand.Export.class, VolumeCommand.Import.class,
        VolumeCommand.Commit.class, VolumeCommand.Log.class, VolumeCommand.Reset.class, VolumeCommand.Branch.class,
        VolumeCommand.Checkout.class, VolumeCommand.Push.class, VolumeCommand.Pull.class})
final class VolumeCommand implements Runnable {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "name a volume command (see strata volume --help)");
  }

  /** What every volume subcommand has: the store its parent names, and where it prints. */
  abstract static class Subcommand implements Callable<Integer> {
    @ParentCommand VolumeCommand parent;
    @Spec CommandSpec spec;

    Volumes volumes() throws IOException {
      return new Volumes(parent.root.openStore());
    }

    PrintWriter out() {
      return spec.commandLine().getOut();
    }
  }

  /** A volume as {@code ls --json} and {@code inspect --json} print it. */
  static Map<String, Object> json(Volumes volumes, Volume v) throws IOException {
    List<String> users = volumes.users(v);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", v.name());
    m.put("created", v.created());
    m.put("labels", v.labels());
    m.put("users", users);
    m.put("dangling", users.isEmpty());
    m.put("data", v.data().toString());
    return m;
  }

  /** {@code strata volume create [--label K=V]... NAME}. */
  @Command(name = "create", mixinStandardHelpOptions = true, description = "Create an empty volume.")
  static final class Create extends Subcommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "Letters, digits, '_', '.' and '-', starting with a"
        + " letter or digit.")
    String name;

    @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "A label (repeatable).")
    Map<String, String> labels = new LinkedHashMap<>();

    @Override
    public Integer call() throws IOException {
      volumes().create(name, labels);
      out().println(name);
      return 0;
    }
  }

  /** {@code strata volume ls [--json] [--dangling]}. */
  @Command(name = "ls", aliases = "list", mixinStandardHelpOptions = true,
      description = "List the volumes and the containers that use each.")
  static final class Ls extends Subcommand {
    @Option(names = "--json", description = "Print a JSON array of {name, created, labels, users, dangling, data}.")
    boolean json;

    @Option(names = "--dangling", description = "Only the volumes no existing container uses.")
    boolean dangling;

    @Override
    public Integer call() throws IOException {
      Volumes volumes = volumes();
      List<Map<String, Object>> rows = new ArrayList<>();
      for (Volume v : volumes.list()) {
        Map<String, Object> row = json(volumes, v);
        if (!dangling || (Boolean) row.get("dangling")) {
          rows.add(row);
        }
      }
      PrintWriter out = out();
      if (json) {
        Output.json(out, rows);
        return 0;
      }
      Table table = new Table("VOLUME", "USERS", "CREATED", "LABELS");
      for (Map<String, Object> row : rows) {
        table.row(row.get("name"), String.join(",", users(row)), row.get("created"), labels(row));
      }
      table.print(out);
      return 0;
    }
  }

  /** {@code strata volume inspect NAME [--json]}. */
  @Command(name = "inspect", mixinStandardHelpOptions = true,
      description = "Show a volume: when it was made, its labels, its data directory and its users.")
  static final class Inspect extends Subcommand {
    @Parameters(index = "0", paramLabel = "NAME") String name;

    @Option(names = "--json", description = "Print a JSON object {name, created, labels, users, dangling, data}.")
    boolean json;

    @Override
    public Integer call() throws IOException {
      Volumes volumes = volumes();
      Map<String, Object> v = json(volumes, volumes.require(name));
      PrintWriter out = out();
      if (json) {
        Output.json(out, v);
        return 0;
      }
      out.printf("Name:     %s%n", v.get("name"));
      out.printf("Created:  %s%n", v.get("created"));
      out.printf("Data:     %s%n", Output.name(v.get("data").toString()));
      out.printf("Labels:   %s%n", labels(v));
      List<String> users = users(v);
      out.printf("Users:    %s%n", users.isEmpty() ? "none (dangling)" : String.join(", ", users));
      return 0;
    }
  }

  /** {@code strata volume rm [--force] NAME...}. */
  @Command(name = "rm", aliases = "remove", mixinStandardHelpOptions = true,
      description = "Remove volumes and their data; one that existing containers use is refused without --force.")
  static final class Rm extends Subcommand {
    @Parameters(arity = "1..*", paramLabel = "NAME") List<String> names;

    @Option(names = {"-f", "--force"}, description = "Remove a volume even while containers use it.")
    boolean force;

    @Override
    public Integer call() throws IOException {
      Volumes volumes = volumes();
      for (String name : names) {
        volumes.remove(name, force);
        out().printf("removed %s%n", name);
      }
      return 0;
    }
  }

  /** {@code strata volume prune [--dry-run]}. */
  @Command(name = "prune", mixinStandardHelpOptions = true,
      description = "Remove every volume no existing container uses.")
  static final class Prune extends Subcommand {
    @Option(names = {"-n", "--dry-run"}, description = "Only say what would be removed.")
    boolean dryRun;

    @Override
    public Integer call() throws IOException {
      List<String> pruned = volumes().prune(dryRun);
      PrintWriter out = out();
      pruned.forEach(name -> out.println((dryRun ? "would remove " : "removed ") + name));
      out.printf("%s %d volume%s%n", dryRun ? "would remove" : "removed", pruned.size(), pruned.size() == 1 ? "" : "s");
      return 0;
    }
  }

  /** {@code strata volume export NAME [-o FILE]}. */
  @Command(name = "export", mixinStandardHelpOptions = true,
      description = "Write a volume's data as a tar: owners, modes, nanosecond times, xattrs and hard links kept.")
  static final class Export extends Subcommand {
    @Parameters(index = "0", paramLabel = "NAME") String name;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
        description = "Write to FILE, replaced only once the whole tar is written (default, or -: standard output).")
    String output;

    @Override
    public Integer call() throws IOException {
      Volumes volumes = volumes();
      if (output != null && !output.equals("-")) {
        volumes.export(name, Path.of(output));
        return 0;
      }
      if (System.console() != null) {
        throw new ParameterException(spec.commandLine(), "refusing to write a tar to a terminal: use -o FILE or a pipe");
      }
      volumes.export(name, System.out);
      System.out.flush();
      if (System.out.checkError()) {
        throw new IOException("cannot write the tar of volume '" + name + "' to standard output");
      }
      return 0;
    }
  }

  /** {@code strata volume import [--label K=V]... FILE NAME}. */
  @Command(name = "import", mixinStandardHelpOptions = true,
      description = "Make a new volume from a tar (plain, gzip or zstd), as export writes one.")
  static final class Import extends Subcommand {
    @Parameters(index = "0", paramLabel = "FILE", description = "The tar, or - for standard input.") String file;

    @Parameters(index = "1", paramLabel = "NAME", description = "The new volume's name.") String name;

    @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "A label (repeatable).")
    Map<String, String> labels = new LinkedHashMap<>();

    @Override
    public Integer call() throws IOException {
      Volumes volumes = volumes();
      try (InputStream in = file.equals("-") ? System.in : Files.newInputStream(Path.of(file))) {
        volumes.importFrom(in, name, labels);
      } catch (UnsafeLayerException e) {
        throw new IOException("cannot import " + (file.equals("-") ? "standard input" : file) + " as volume '" + name
            + "': " + e.getMessage(), e);
      }
      out().println(name);
      return 0;
    }
  }

  /** {@code strata volume commit NAME [-m MSG]}. */
  @Command(name = "commit", mixinStandardHelpOptions = true,
      description = "Snapshot a volume: a layer of what changed since the current branch's last snapshot; prints its id.")
  static final class Commit extends Subcommand {
    @Parameters(index = "0", paramLabel = "NAME") String name;

    @Option(names = {"-m", "--message"}, paramLabel = "MSG", description = "What the snapshot is for.")
    String message = "";

    @Override
    public Integer call() throws IOException {
      out().println(volumes().commit(name, message).id());
      return 0;
    }
  }

  /** {@code strata volume log NAME [--json]}. */
  @Command(name = "log", mixinStandardHelpOptions = true,
      description = "List the snapshots of a volume's current branch, newest first.")
  static final class Log extends Subcommand {
    @Parameters(index = "0", paramLabel = "NAME") String name;

    @Option(names = "--json", description = "Print a JSON array of {id, parent, created, message, diffId, blob, size}.")
    boolean json;

    @Override
    public Integer call() throws IOException {
      List<Snapshot> log = volumes().log(name);
      PrintWriter out = out();
      if (json) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Snapshot s : log) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("id", s.id());
          m.put("parent", s.parent());
          m.put("created", s.created());
          m.put("message", s.message());
          m.put("diffId", s.diffId().toString());
          m.put("blob", s.blob().toString());
          m.put("size", s.size());
          rows.add(m);
        }
        Output.json(out, rows);
        return 0;
      }
      Table table = new Table("SNAPSHOT", "CREATED", "MESSAGE");
      for (Snapshot s : log) {
        table.row(s.shortId(), s.created(), s.message());
      }
      table.print(out);
      return 0;
    }
  }

  /** {@code strata volume reset [--force] NAME SNAPSHOT}. */
  @Command(name = "reset", mixinStandardHelpOptions = true,
      description = "Make a volume's data a snapshot's, and its current branch point there: changes since are discarded.")
  static final class Reset extends Subcommand {
    @Parameters(index = "0", paramLabel = "NAME") String name;

    @Parameters(index = "1", paramLabel = "SNAPSHOT", description = "A snapshot's id, or its first 4 or more digits.")
    String snapshot;

    @Option(names = {"-f", "--force"}, description = "Reset even while containers use the volume (they keep the old data).")
    boolean force;

    @Override
    public Integer call() throws IOException {
      out().println(volumes().reset(name, snapshot, force).id());
      return 0;
    }
  }

  /** {@code strata volume branch NAME [NEW [SNAPSHOT]]}. */
  @Command(name = "branch", mixinStandardHelpOptions = true,
      description = "Make a branch of a volume at a snapshot (default: the current branch's last), or list its branches.")
  static final class Branch extends Subcommand {
    @Parameters(index = "0", paramLabel = "NAME") String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "NEW", description = "The new branch (none: list them).")
    String branch;

    @Parameters(index = "2", arity = "0..1", paramLabel = "SNAPSHOT", description = "Where it starts.")
    String snapshot;

    @Override
    public Integer call() throws IOException {
      Volumes volumes = volumes();
      PrintWriter out = out();
      if (branch != null) {
        volumes.branch(name, branch, snapshot);
        out.println(branch);
        return 0;
      }
      String current = volumes.currentBranch(name);
      Map<String, String> branches = new java.util.TreeMap<>(volumes.branches(name));
      branches.putIfAbsent(current, ""); // a volume's first branch before its first commit
      branches.forEach((b, id) -> out.printf("%s %s %s%n", b.equals(current) ? "*" : " ", b,
          id.isEmpty() ? "(no snapshot)" : id.substring(0, 12)));
      return 0;
    }
  }

  /** {@code strata volume checkout [--force] NAME BRANCH}. */
  @Command(name = "checkout", mixinStandardHelpOptions = true,
      description = "Make a branch a volume's current one, and its data that branch's last snapshot.")
  static final class Checkout extends Subcommand {
    @Parameters(index = "0", paramLabel = "NAME") String name;

    @Parameters(index = "1", paramLabel = "BRANCH") String branch;

    @Option(names = {"-f", "--force"}, description = "Discard changes since the last snapshot; switch even while"
        + " containers use the volume (they keep the old data).")
    boolean force;

    @Override
    public Integer call() throws IOException {
      volumes().checkout(name, branch, force);
      out().println(branch);
      return 0;
    }
  }

  @SuppressWarnings("unchecked")
  private static List<String> users(Map<String, Object> volume) {
    return (List<String>) volume.get("users");
  }

  private static String labels(Map<String, Object> volume) {
    List<String> out = new ArrayList<>();
    ((Map<?, ?>) volume.get("labels")).forEach((k, v) -> out.add(k + "=" + v));
    return String.join(",", out);
  }

  /** {@code strata volume push NAME DEST}. */
  @Command(name = "push", mixinStandardHelpOptions = true,
      description = {"Write the snapshots of a volume's current branch as an OCI artifact; blobs the destination"
          + " has are not sent again, so a new snapshot sends only its own changes.",
          "DEST: docker://HOST/REPO[:TAG] (a bare reference means docker://), oci:DIR[:REF], oci-archive:FILE[:REF].",
          "Changes since the last snapshot are not pushed: commit them first."})
  static final class Push extends Subcommand {
    @Parameters(index = "0", paramLabel = "NAME") String name;

    @Parameters(index = "1", paramLabel = "DEST") String dest;

    @Option(names = {"-q", "--quiet"}, description = "Print only the manifest digest.")
    boolean quiet;

    @Mixin RegistryFlags registry;

    @Override
    public Integer call() throws IOException {
      Transports.Location location = artifactPlace(dest);
      Store store = parent.root.openStore();
      Volumes volumes = new Volumes(store);
      if (volumes.changed(name)) {
        spec.commandLine().getErr().println("strata: volume '" + name
            + "' has changes since its last snapshot; they are not pushed (strata volume commit first)");
      }
      Descriptor written;
      try (ImageLocation to = ImageLocation.parse(dest, store, registry.options(),
          ProgressBars.lines(out(), quiet))) {
        written = volumes.push(name, to);
      }
      out().println(quiet ? written.digest().toString()
          : "pushed volume " + name + " to " + location + ": " + written.digest());
      return 0;
    }
  }

  /** {@code strata volume pull SOURCE NAME [--force]}. */
  @Command(name = "pull", mixinStandardHelpOptions = true,
      description = {"Take a pushed volume into the store: make the volume NAME, or move its current branch forward"
          + " to the pulled snapshot; snapshots the store has are not fetched again.",
          "SOURCE: docker://HOST/REPO[:TAG|@DIGEST], oci:DIR[:REF], oci-archive:FILE[:REF]."})
  static final class Pull extends Subcommand {
    @Parameters(index = "0", paramLabel = "SOURCE") String source;

    @Parameters(index = "1", paramLabel = "NAME") String name;

    @Option(names = {"-f", "--force"}, description = "Reset a branch with snapshots of its own to the pulled one,"
        + " discard changes since the last snapshot, and go ahead while containers use the volume.")
    boolean force;

    @Option(names = {"-q", "--quiet"}, description = "Print only the snapshot's id.")
    boolean quiet;

    @Mixin RegistryFlags registry;

    @Override
    public Integer call() throws IOException {
      Transports.Location location = artifactPlace(source);
      Volumes.checkName(name);
      Store store = parent.root.openStore();
      Volumes volumes = new Volumes(store);
      PrintWriter out = out();
      Volumes.Pulled pulled;
      try (ImageSource src = Transports.open(location, store, registry.options(), TransferProgress.NONE)) {
        Puller puller = new Puller(store, IngestLimits.DEFAULT, event -> {
          if (!quiet) {
            out.println(LayerLines.describe(event));
            out.flush();
          }
        });
        pulled = volumes.pull(src, location.toString(), name, force, puller);
      }
      long fetched = pulled.layers().stream().filter(e -> e.status() != Puller.Status.EXISTS).count();
      if (quiet) {
        out.println(pulled.snapshot().id());
        return 0;
      }
      String what = switch (pulled.outcome()) {
        case CREATED -> "created at";
        case FAST_FORWARD -> "moved forward to";
        case RESET -> "reset to";
        case UP_TO_DATE -> "already at";
        case AHEAD -> "ahead of what was pulled, kept at";
      };
      out.printf("volume %s %s snapshot %s: %d snapshot%s, %d fetched%n", name, what, pulled.snapshot().shortId(),
          pulled.layers().size(), pulled.layers().size() == 1 ? "" : "s", fetched);
      return 0;
    }
  }

  /** Parses where a volume artifact goes or comes from: {@code docker save} archives have no room for one. */
  private static Transports.Location artifactPlace(String text) {
    Transports.Location location = Transports.parse(text);
    if (location.transport().equals("docker-archive")) {
      throw new IllegalArgumentException("a docker-archive holds images only; use docker://, oci: or oci-archive:"
          + " for a volume");
    }
    return location;
  }
}
