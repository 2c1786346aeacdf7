package dev.strata.fuse;

import dev.strata.host.Flock;
import dev.strata.host.Names;
import dev.strata.host.StandardStreams;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * One long-lived process that serves every mount bin/strata-overlay asks for, per user, user
 * namespace and mount namespace (and Strata build): a container engine runs its mount program
 * for every container it starts, and a JVM started for each would cost that container most of
 * a second before its first request; the shared server, its request path compiled already,
 * mounts in milliseconds. It lives in the namespaces of the launcher that started it (rootless
 * podman runs its mount programs in one user and mount namespace, held by its pause process),
 * so it mounts, chowns and sees paths as its callers would.
 *
 * <p>A launcher that finds a server's process alive sends its request at once; one that does
 * not, or whose server ends without answering, takes the start lock to start one.
 *
 * <p>The launcher is a shell script, so the two speak through files in a directory only the
 * user can enter (bin/strata-overlay chooses it):
 * <ul>
 *   <li>{@code lock}: a flock(2) lock the live server holds for its life; a launcher that can
 *       take it knows that no server runs.
 *   <li>{@code start}: a lock a launcher holds while it looks for a server, starts one if none
 *       runs and sends its request; and the server, while it decides to end when idle: so a
 *       request is never left in the pipe of a server that has gone.
 *   <li>{@code requests}: a FIFO. A request is one line, a name {@code rq.PID.N} beside it:
 *       a FIFO of that name, which the answer comes on, and {@code rq.PID.N.args}, the
 *       caller's working directory and then its command line, each NUL-terminated.
 *   <li>The answer: a line "STATUS LINES", the exit status and how many lines of messages
 *       follow, then the messages the command would have printed on standard error. The
 *       server removes the request's files; the launcher reads on from its open descriptor.
 *   <li>{@code pid}, {@code server.log}: the server's process and, once it listens, its output.
 * </ul>
 * Once it has served no mount for {@code STRATA_SERVER_IDLE_SECONDS} (60 by default) the
 * server ends. A server that ends otherwise (killed) takes its mounts with it, as a killed
 * fuse-overlayfs does; its launchers see the lock free and fail, or start a new one.
 */
public final class MountServer {
  private static final System.Logger LOG = System.getLogger(MountServer.class.getName());
  private static final Pattern REQUEST = Pattern.compile("rq\\.[0-9]+\\.[0-9]+");
  private static final long DEFAULT_IDLE_SECONDS = 60;

  private final Path dir;
  private final long idleMillis;
  private final FileInputStream requests;
  private final AtomicInteger mounts = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "strata-server-idle");
    t.setDaemon(true);
    return t;
  });
  private volatile long lastActive = System.nanoTime();

  private MountServer(Path dir, long idleMillis, FileInputStream requests) {
    this.dir = dir;
    this.idleMillis = idleMillis;
    this.requests = requests;
  }

  /** {@code MountServer DIR}: serves the requests of DIR until idle. */
  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: MountServer DIRECTORY (bin/strata-overlay starts it)");
      System.exit(2);
    }
    Path dir = Path.of(args[0]).toAbsolutePath();
    Optional<Flock> lock = Flock.tryExclusive(dir.resolve("lock"));
    if (lock.isEmpty()) {
      System.err.println("strata-overlay: a mount server already serves " + dir);
      System.exit(1);
    }
    Path pid = dir.resolve("pid");
    Files.writeString(pid, ProcessHandle.current().pid() + "\n");
    // Gone with the server, so that no launcher sends to a process that has ended.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> dropPid(pid), "strata-server-pid"));
    // Read and write: the open does not wait for a writer, and the server's own write end
    // means no end of file when a launcher closes its own.
    RandomAccessFile fifo = new RandomAccessFile(dir.resolve("requests").toFile(), "rw");
    MountServer server = new MountServer(dir, idleMillis(), new FileInputStream(fifo.getFD()));
    // The launcher reads our standard output until it says listening: from then on, nothing of
    // the launcher's (its caller's pipes) stays open here.
    Path log = dir.resolve("server.log");
    System.err.flush();
    StandardStreams.errorTo(log);
    System.out.println("listening");
    System.out.flush();
    StandardStreams.outputTo(log);
    server.scheduleIdleCheck();
    server.listen();
  }

  private static long idleMillis() {
    String s = System.getenv("STRATA_SERVER_IDLE_SECONDS");
    try {
      return TimeUnit.SECONDS.toMillis(s == null || s.isBlank() ? DEFAULT_IDLE_SECONDS : Long.parseLong(s.strip()));
    } catch (NumberFormatException e) {
      LOG.log(System.Logger.Level.WARNING, "STRATA_SERVER_IDLE_SECONDS=" + s + " is not a number; "
          + DEFAULT_IDLE_SECONDS + " s it is");
      return TimeUnit.SECONDS.toMillis(DEFAULT_IDLE_SECONDS);
    }
  }

  private void listen() throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(requests, StandardCharsets.ISO_8859_1));
    String line;
    while ((line = in.readLine()) != null) {
      String name = line.strip();
      if (!REQUEST.matcher(name).matches()) {
        LOG.log(System.Logger.Level.WARNING, "not a request: " + line);
        continue;
      }
      inFlight.incrementAndGet();
      lastActive = System.nanoTime();
      Thread t = new Thread(() -> answer(dir.resolve(name)), "strata-request-" + name);
      t.setDaemon(true);
      t.start();
    }
  }

  /** Runs one launcher's command line and answers it. */
  private void answer(Path rq) {
    Charset names = Names.jdkCharset();
    Path argsFile = rq.resolveSibling(rq.getFileName() + ".args");
    ByteArrayOutputStream said = new ByteArrayOutputStream();
    int status;
    try (PrintStream err = new PrintStream(said, true, names)) {
      List<String> args;
      try {
        args = Names.nulTerminated(Files.readAllBytes(argsFile)).stream().map(b -> new String(b, names)).toList();
        Files.delete(argsFile);
      } catch (java.nio.file.NoSuchFileException e) {
        // answered already: a launcher that took this server for dead sent it again
        inFlight.decrementAndGet();
        return;
      } catch (IOException e) {
        args = List.of();
      }
      if (args.isEmpty()) {
        err.println("strata-overlay: the mount server could not read the request " + argsFile);
        status = 1;
      } else {
        status = OverlayMain.run(args.subList(1, args.size()).toArray(String[]::new), Path.of(args.get(0)), err, err,
            this);
      }
    }
    try {
      if (said.size() > 0 && said.toByteArray()[said.size() - 1] != '\n') {
        said.write('\n'); // the launcher reads whole lines
      }
      byte[] message = said.toByteArray();
      int lines = 0;
      for (byte b : message) {
        lines += b == '\n' ? 1 : 0;
      }
      ByteArrayOutputStream reply = new ByteArrayOutputStream();
      reply.writeBytes((status + " " + lines + "\n").getBytes(StandardCharsets.US_ASCII));
      reply.writeBytes(message);
      // Read and write: should the launcher be gone, the open does not wait for it.
      try (FileChannel out = FileChannel.open(rq, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        ByteBuffer b = ByteBuffer.wrap(reply.toByteArray());
        while (b.hasRemaining()) {
          out.write(b);
        }
      }
      Files.deleteIfExists(rq); // the launcher reads on from its open descriptor
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "could not answer " + rq + ": " + e);
    } finally {
      lastActive = System.nanoTime();
      inFlight.decrementAndGet();
    }
  }

  /** Serves {@code m} until it is unmounted, on a thread of its own. */
  void serve(ServedMount m) {
    mounts.incrementAndGet();
    Thread t = new Thread(() -> {
      try {
        m.awaitUnmount();
      } catch (IOException | RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "closing the mount at " + m.mountPoint() + " failed: " + e, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        lastActive = System.nanoTime();
        if (mounts.decrementAndGet() == 0) {
          scheduleIdleCheck();
        }
      }
    }, "strata-mount-" + m.mountPoint());
    t.setDaemon(true);
    t.start();
  }

  private void scheduleIdleCheck() {
    long quiet = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastActive);
    timer.schedule(this::endIfIdle, Math.max(0, idleMillis - quiet), TimeUnit.MILLISECONDS);
  }

  /**
   * Ends the server if it has served nothing for the idle time, holding the start lock so that
   * no launcher sends a request meanwhile: one sent before is still in the pipe, and keeps the
   * server on.
   */
  private void endIfIdle() {
    if (mounts.get() > 0) {
      return; // the last mount's end schedules the next check
    }
    if (inFlight.get() > 0 || System.nanoTime() - lastActive < TimeUnit.MILLISECONDS.toNanos(idleMillis)) {
      scheduleIdleCheck();
      return;
    }
    try {
      Optional<Flock> start = Flock.tryExclusive(dir.resolve("start"));
      if (start.isPresent()) {
        if (requests.available() == 0 && mounts.get() == 0 && inFlight.get() == 0) {
          LOG.log(System.Logger.Level.INFO, "idle for " + idleMillis / 1000 + " s: the mount server ends");
          // The start lock goes with the process: the next launcher starts a server of its own.
          dropPid(dir.resolve("pid"));
          Runtime.getRuntime().halt(0);
        }
        start.get().close();
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "idle check: " + e);
    }
    lastActive = System.nanoTime();
    scheduleIdleCheck();
  }

  private static void dropPid(Path pid) {
    try {
      if (Files.readString(pid).trim().equals(Long.toString(ProcessHandle.current().pid()))) {
        Files.delete(pid);
      }
    } catch (IOException e) {
      // gone already, or a successor's: either way not ours to remove
    }
  }

}
