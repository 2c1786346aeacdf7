package dev.strata.fuse.conformance;

import java.io.IOException;
import java.util.List;

/**
 * Runs a shell script as an unprivileged user. Permission checks are made against the caller's
 * credentials, and a Java process cannot change its own safely, so the caller is a child made
 * by setpriv with every supplementary group dropped.
 */
final class AsUser {
  static final int ALICE = 1000;
  static final int BOB = 1001;

  private AsUser() {}

  static Command sh(int uid, String script) throws IOException, InterruptedException {
    return Command.run(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--",
        "sh", "-c", script));
  }
}
