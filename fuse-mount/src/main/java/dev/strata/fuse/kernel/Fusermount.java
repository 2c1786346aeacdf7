package dev.strata.fuse.kernel;

import static dev.strata.fuse.kernel.FuseDevice.LIBC;
import static dev.strata.fuse.kernel.FuseDevice.c;

import dev.strata.fuse.Mounts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Mounting and unmounting through the set-user-id fusermount3, for a process that may not call
 * mount(2) itself (an ordinary user outside a user namespace). fusermount3 checks that the user
 * may mount there, opens /dev/fuse as the user, mounts it as root and hands the open descriptor
 * back over a Unix socket whose number it finds in {@code _FUSE_COMMFD}: one byte carrying an
 * SCM_RIGHTS message. The server then speaks the same protocol over that descriptor as over one
 * it mounted itself, so an ordinary user's mount has root's semantics.
 *
 * <p>A class of its own because it is the one place that starts a program through libc's
 * posix_spawn rather than ProcessBuilder: ProcessBuilder closes every descriptor but 0-2 in the
 * child, and fusermount3 must inherit its end of the socket. The native structs written here are
 * laid out as on 64-bit Linux (LP64: x86-64, arm64).
 */
final class Fusermount {
  private static final System.Logger LOG = System.getLogger(Fusermount.class.getName());
  private static final String NAME = "fusermount3";
  /** Where fusermount3 is looked for after PATH: distributions install it in the first two. */
  private static final List<String> STANDARD_DIRS = List.of("/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin",
      "/sbin");
  /** The socket's descriptor number in fusermount3. */
  private static final int COMM_FD = 3;

  private static final int AF_UNIX = 1;
  private static final int SOCK_STREAM = 1;
  private static final int SOCK_CLOEXEC = 02000000;
  private static final int SOL_SOCKET = 1;
  private static final int SCM_RIGHTS = 1;
  private static final int MSG_CTRUNC = 8;
  /** The descriptor received is close-on-exec, as the one the server opens itself. */
  private static final int MSG_CMSG_CLOEXEC = 0x40000000;

  /** posix_spawn_file_actions_t is 80 bytes in glibc; room to spare for another libc. */
  private static final int ACTIONS_SIZE = 256;
  /** struct msghdr: name, namelen, iov, iovlen, control, controllen, flags. */
  private static final int MSGHDR_SIZE = 56;
  /** Room for one cmsghdr (16 bytes) with a few descriptors, should more come than asked. */
  private static final int CONTROL_SIZE = 64;
  private static final int CHUNK = 4096;
  private static final byte[] DEV_NULL = c("/dev/null");

  private Fusermount() {}

  /** The set-user-id fusermount3 this process would run, if there is one. */
  static Optional<Path> program() {
    return Holder.PROGRAM;
  }

  /** Looked up once: PATH and the standard places do not change under a running server. */
  private static final class Holder {
    static final Optional<Path> PROGRAM = find();
  }

  private static Optional<Path> find() {
    List<String> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(":")));
    }
    dirs.addAll(STANDARD_DIRS);
    for (String d : dirs) {
      // A relative entry would be the working directory's: never a place to run root's program from.
      if (d.startsWith("/") && setuidRoot(Path.of(d, NAME))) {
        return Optional.of(Path.of(d, NAME));
      }
    }
    return Optional.empty();
  }

  /**
   * A regular file owned by root with the set-user-id bit, which this process may run: a copy
   * without the bit runs as the user and cannot mount.
   */
  private static boolean setuidRoot(Path p) {
    try {
      Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid");
      int mode = (Integer) a.get("mode");
      return (mode & 0170000) == 0100000 && (mode & 04000) != 0 && (Integer) a.get("uid") == 0
          && Files.isExecutable(p);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * The options fusermount3 is given for {@code o}: what the server's own mount(2) would pass,
   * less what fusermount3 adds itself ({@code fd}, {@code rootmode}, {@code user_id} and
   * {@code group_id} of the real user). {@code subtype=strata} makes the type fuse.strata, as
   * mount(2) is given it.
   */
  static String options(KernelMountOptions o) {
    List<String> out = new ArrayList<>();
    // fusermount3 reads a backslash-escaped comma in fsname= as part of the name.
    out.add("fsname=" + o.fsName().replace("\\", "\\\\").replace(",", "\\,"));
    out.add("subtype=strata");
    if (o.readOnly()) {
      out.add("ro");
    }
    out.addAll(MountFlags.names(o.flags()));
    if (o.defaultPermissions()) {
      out.add("default_permissions");
    }
    if (o.allowOther()) {
      out.add("allow_other");
    }
    return String.join(",", out);
  }

  /**
   * Has fusermount3 mount a FUSE connection at {@code mountPoint}; returns the connection's
   * /dev/fuse descriptor. What fusermount3 says on failure is the exception's message.
   */
  static int mount(Path mountPoint, KernelMountOptions o) throws IOException {
    Path program = program().orElseThrow(() -> new IOException("cannot mount " + mountPoint
        + ": this process may not call mount(2) and there is no set-user-id " + NAME + " to do it"));
    Outcome r = run(program, List.of("-o", options(o), "--", mountPoint.toString()), true);
    if (r.fd() >= 0 && r.succeeded()) {
      if (!r.output().isEmpty()) {
        LOG.log(System.Logger.Level.WARNING, NAME + " on mounting " + mountPoint + ": " + r.output());
      }
      return r.fd();
    }
    if (r.fd() >= 0) {
      LIBC.close(r.fd());
    }
    String hint = o.allowOther() && r.output().contains("allow_other")
        ? " (a user other than root may ask for allow_other only where /etc/fuse.conf has the line"
            + " user_allow_other)"
        : "";
    throw new IOException(NAME + " could not mount " + mountPoint + " (" + r.status() + "): "
        + (r.output().isEmpty() ? "it said nothing" : r.output()) + hint);
  }

  /**
   * Has fusermount3 unmount {@code mountPoint}, lazily ({@code -z}): a mount that is not busy
   * goes at once, a busy one is detached and its connection ends when its last file closes, as
   * root's umount2 followed by MNT_DETACH on EBUSY. Failures are logged: the caller waits for
   * the connection to end either way. A mount already gone is no failure.
   */
  static void unmount(Path mountPoint) {
    String failure;
    try {
      Path program = program().orElseThrow(() -> new IOException("there is no set-user-id " + NAME));
      Outcome r = run(program, List.of("-u", "-z", "--", mountPoint.toString()), false);
      if (r.succeeded()) {
        return;
      }
      failure = NAME + " -u -z failed (" + r.status() + "): " + r.output();
    } catch (IOException e) {
      failure = e.getMessage();
    }
    if (stillMounted(mountPoint)) {
      LOG.log(System.Logger.Level.WARNING, "cannot unmount " + mountPoint + ": " + failure);
    }
  }

  private static boolean stillMounted(Path mountPoint) {
    try {
      return Mounts.at(mountPoint).isPresent();
    } catch (IOException e) {
      return true; // cannot tell: the failure is worth its warning
    }
  }

  /** How fusermount3 ended: the descriptor it passed (-1 if none), its wait status, what it wrote. */
  private record Outcome(int fd, int waitStatus, String output) {
    boolean succeeded() {
      return waitStatus == 0;
    }

    String status() {
      int signal = waitStatus & 0x7f;
      return signal == 0 ? "exit " + ((waitStatus >> 8) & 0xff) : "killed by signal " + signal;
    }
  }

  /**
   * Runs fusermount3 with {@code args}, its stdout and stderr read from a pipe and its stdin
   * /dev/null; with {@code receive}, it gets a socket as descriptor {@link #COMM_FD} and the
   * descriptor it sends over that is returned. Returns once fusermount3 has exited.
   */
  private static Outcome run(Path program, List<String> args, boolean receive) throws IOException {
    List<byte[]> argv = new ArrayList<>();
    argv.add(c(NAME));
    args.forEach(a -> argv.add(c(a)));
    // fusermount3 reads nothing else from its environment; a set-user-id program is given no more.
    List<byte[]> envp = receive ? List.of(c("_FUSE_COMMFD=" + COMM_FD)) : List.of();
    byte[] path = c(program.toString());
    int strings = path.length + DEV_NULL.length;
    for (byte[] b : argv) {
      strings += b.length;
    }
    for (byte[] b : envp) {
      strings += b.length;
    }
    // Each string and array may be padded by 15 bytes; each string takes 8 in its array.
    int size = ACTIONS_SIZE + MSGHDR_SIZE + 32 + CONTROL_SIZE + CHUNK + strings
        + 32 * (argv.size() + envp.size() + 8);
    List<Integer> open = new ArrayList<>();
    try (NativeBuffer mem = new NativeBuffer(size)) {
      Block block = new Block(mem);
      int[] socket = {-1, -1};
      if (receive) {
        if (LIBC.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, socket) != 0) {
          throw new IOException("socketpair for " + NAME + " failed: errno " + FuseDevice.errno());
        }
        open.add(socket[0]);
        open.add(socket[1]);
      }
      int[] pipe = new int[2];
      if (LIBC.pipe2(pipe, FuseDevice.O_CLOEXEC) != 0) {
        throw new IOException("pipe2 for " + NAME + " failed: errno " + FuseDevice.errno());
      }
      open.add(pipe[0]);
      open.add(pipe[1]);

      // The two ends of a socket pair are alike. The child's must not be descriptor 3 already:
      // dup2 onto itself would leave it close-on-exec.
      int parentEnd = socket[1] == COMM_FD ? socket[1] : socket[0];
      int childEnd = socket[1] == COMM_FD ? socket[0] : socket[1];
      int pid = spawn(block, path, argv, envp, pipe[1], childEnd);
      int fd = -1;
      String output = "";
      IOException failure = null;
      try {
        // Only the child holds these ends now, so its exit ends the reads below.
        close(open, pipe[1]);
        if (receive) {
          close(open, childEnd);
          fd = receiveFd(block, parentEnd);
        }
        output = readAll(block, pipe[0]);
      } catch (IOException e) {
        failure = e;
      }
      int status;
      try {
        status = waitFor(pid); // reaped whatever happened above
      } catch (IOException e) {
        failure = failure != null ? failure : e;
        status = -1;
      }
      if (failure != null) {
        if (fd >= 0) {
          LIBC.close(fd);
        }
        throw failure;
      }
      return new Outcome(fd, status, output.strip());
    } finally {
      for (int fd : open) {
        LIBC.close(fd);
      }
    }
  }

  /** waitpid(2) for {@code pid}; returns its wait status. */
  private static int waitFor(int pid) throws IOException {
    int[] status = new int[1];
    while (LIBC.waitpid(pid, status, 0) < 0) {
      if (FuseDevice.errno() != FuseDevice.EINTR) {
        throw new IOException("waitpid of " + NAME + " failed: errno " + FuseDevice.errno());
      }
    }
    return status[0];
  }

  private static void close(List<Integer> open, int fd) {
    open.remove(Integer.valueOf(fd));
    LIBC.close(fd);
  }

  /**
   * posix_spawn of {@code program}: stdin /dev/null, stdout and stderr the pipe's write end,
   * {@code socket} (if not -1) as {@link #COMM_FD}, every other descriptor closed.
   */
  private static int spawn(Block block, byte[] program, List<byte[]> argv, List<byte[]> envp, int output, int socket)
      throws IOException {
    long actions = block.reserve(ACTIONS_SIZE);
    check(LIBC.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
    try {
      check(LIBC.posix_spawn_file_actions_addopen(actions, 0, block.put(DEV_NULL), FuseDevice.O_RDONLY, 0),
          "posix_spawn_file_actions_addopen");
      check(LIBC.posix_spawn_file_actions_adddup2(actions, output, 1), "posix_spawn_file_actions_adddup2");
      check(LIBC.posix_spawn_file_actions_adddup2(actions, output, 2), "posix_spawn_file_actions_adddup2");
      if (socket >= 0) {
        check(LIBC.posix_spawn_file_actions_adddup2(actions, socket, COMM_FD), "posix_spawn_file_actions_adddup2");
      }
      closeTheRest(actions, socket >= 0 ? COMM_FD + 1 : COMM_FD);
      int[] pid = new int[1];
      int rc = LIBC.posix_spawn(pid, block.put(program), actions, 0, block.array(argv), block.array(envp));
      if (rc != 0) {
        throw new IOException("cannot start " + new String(program, 0, program.length - 1, StandardCharsets.UTF_8)
            + ": errno " + rc);
      }
      return pid[0];
    } finally {
      LIBC.posix_spawn_file_actions_destroy(actions);
    }
  }

  /**
   * Closes the descriptors from {@code from} on in the child. The JDK opens many without
   * close-on-exec (ProcessBuilder closes them in its own children), and a set-user-id program
   * should see none of them. Where libc has no addclosefrom_np (glibc before 2.34), they are left
   * open for fusermount3's short life rather than the mount refused.
   */
  private static void closeTheRest(long actions, int from) throws IOException {
    try {
      check(LIBC.posix_spawn_file_actions_addclosefrom_np(actions, from), "posix_spawn_file_actions_addclosefrom_np");
    } catch (UnsatisfiedLinkError e) {
      LOG.log(System.Logger.Level.DEBUG, "no posix_spawn_file_actions_addclosefrom_np: " + e.getMessage());
    }
  }

  private static void check(int rc, String call) throws IOException {
    if (rc != 0) {
      throw new IOException(call + " failed: errno " + rc);
    }
  }

  /**
   * Receives the descriptor fusermount3 sends: one byte with an SCM_RIGHTS control message.
   * Returns -1 if it sent none (it failed, and exits): end of file, or a message without one.
   */
  private static int receiveFd(Block block, int socket) throws IOException {
    long msg = block.reserve(MSGHDR_SIZE);
    long iov = block.reserve(16);
    long data = block.reserve(16);
    long control = block.reserve(CONTROL_SIZE);
    ByteBuffer b = block.mem.buffer;
    int m = block.offset(msg);
    b.putLong(m, 0).putInt(m + 8, 0).putLong(m + 16, iov).putLong(m + 24, 1).putLong(m + 32, control)
        .putLong(m + 40, CONTROL_SIZE).putInt(m + 48, 0);
    b.putLong(block.offset(iov), data).putLong(block.offset(iov) + 8, 1);
    long n;
    while ((n = LIBC.recvmsg(socket, msg, MSG_CMSG_CLOEXEC)) < 0) {
      if (FuseDevice.errno() != FuseDevice.EINTR) {
        throw new IOException("recvmsg from " + NAME + " failed: errno " + FuseDevice.errno());
      }
    }
    long controlLength = b.getLong(m + 40);
    if (n == 0 || controlLength < 16) {
      return -1;
    }
    // cmsghdr: length (8 bytes, header included), level, type, then the descriptors.
    int c = block.offset(control);
    long length = b.getLong(c);
    if (b.getInt(c + 8) != SOL_SOCKET || b.getInt(c + 12) != SCM_RIGHTS || length < 20) {
      return -1;
    }
    int count = (int) Math.min((length - 16) / 4, (CONTROL_SIZE - 16) / 4);
    int fd = b.getInt(c + 16);
    for (int i = 1; i < count; i++) {
      LIBC.close(b.getInt(c + 16 + 4 * i)); // not asked for: not kept open
    }
    if ((b.getInt(m + 48) & MSG_CTRUNC) != 0) {
      LOG.log(System.Logger.Level.WARNING, NAME + " sent more descriptors than there was room for");
    }
    return fd;
  }

  /** Reads {@code fd} to its end: everything the child wrote, once it has exited. */
  private static String readAll(Block block, int fd) throws IOException {
    long chunk = block.reserve(CHUNK);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] bytes = new byte[CHUNK];
    while (true) {
      long n = LIBC.read(fd, chunk, CHUNK);
      if (n == 0) {
        return out.toString(StandardCharsets.UTF_8);
      }
      if (n < 0) {
        if (FuseDevice.errno() == FuseDevice.EINTR) {
          continue;
        }
        throw new IOException("reading " + NAME + "'s output failed: errno " + FuseDevice.errno());
      }
      block.mem.buffer.get(block.offset(chunk), bytes, 0, (int) n);
      out.write(bytes, 0, (int) n);
    }
  }

  /** Native memory handed out in pieces, 16-byte aligned, all freed with the buffer. */
  private static final class Block {
    final NativeBuffer mem;
    private int used;

    Block(NativeBuffer mem) {
      this.mem = mem;
    }

    long reserve(int n) {
      int at = (used + 15) & ~15;
      if (at + n > mem.size) {
        throw new IllegalStateException("native block of " + mem.size + " bytes too small");
      }
      used = at + n;
      mem.buffer.put(at, new byte[n]);
      return mem.address + at;
    }

    int offset(long address) {
      return (int) (address - mem.address);
    }

    /** Copies a NUL-terminated string in; returns its address. */
    long put(byte[] cString) {
      long at = reserve(cString.length);
      mem.buffer.put(offset(at), cString);
      return at;
    }

    /** A NULL-terminated array of the strings' addresses, as argv and envp are. */
    long array(List<byte[]> strings) {
      long[] addresses = strings.stream().mapToLong(this::put).toArray();
      long at = reserve(8 * (addresses.length + 1));
      for (int i = 0; i < addresses.length; i++) {
        mem.buffer.putLong(offset(at) + 8 * i, addresses[i]);
      }
      return at;
    }
  }
}
