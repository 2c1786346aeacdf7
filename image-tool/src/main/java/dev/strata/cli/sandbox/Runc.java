package dev.strata.cli.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Runs a spec with runc, the OCI runtime podman runs on Debian where crun cannot (crun 1.8
 * refuses hosts whose cgroups are part v1, part v2). bubblewrap, which strata run used before,
 * cannot give podman's defaults: it sets no_new_privs and nosuid whatever it is asked, and it
 * cannot make the sandbox's own /proc/sys read-only.
 *
 * <p>The container dies with this process, as bubblewrap's --die-with-parent made it: runc
 * runs under {@code setpriv --pdeathsig KILL}, so it dies with us, and a watchdog reading a
 * pipe from this process deletes the container (killing all in it) once the pipe closes,
 * which the kernel does when this process ends, however it ends. The watchdog ignores the
 * terminal's signals, which reach it with ours.
 */
final class Runc {
  /** The shell's own read waits for the end of the pipe: no child left behind when it is killed. */
  private static final String WATCHDOG = "trap '' INT HUP TERM QUIT; while read -r _; do :; done; "
      + "exec runc --root \"$1\" delete --force \"$2\" >/dev/null 2>&1";

  private Runc() {}

  /** Writes {@code spec} into {@code bundle} and runs it; returns its exit status. */
  static int run(ObjectNode spec, Path bundle) throws IOException, InterruptedException {
    Path config = bundle.resolve("config.json");
    Files.writeString(Files.createFile(config, PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-------"))), new ObjectMapper().writeValueAsString(spec));
    String state = bundle.resolve("state").toString();
    String id = "strata-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    Process watchdog = new ProcessBuilder("sh", "-c", WATCHDOG, "strata-run-watchdog", state, id)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    boolean ended = false;
    try {
      Process runc = new ProcessBuilder(List.of("setpriv", "--pdeathsig", "KILL", "--", "runc", "--root", state, "run",
          "--bundle", bundle.toString(), id)).inheritIO().start();
      int status = runc.waitFor();
      ended = true;
      return status;
    } catch (IOException e) {
      throw new IOException("strata run needs runc and setpriv (apt-get install runc util-linux): " + e.getMessage(), e);
    } finally {
      if (ended) {
        watchdog.destroyForcibly(); // runc run deleted the container when it ended
      } else {
        watchdog.getOutputStream().close(); // interrupted: the watchdog deletes it now
      }
      watchdog.waitFor();
    }
  }
}
