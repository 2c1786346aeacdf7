package dev.strata.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs strata as the rootless tests' ordinary user, with an environment of its own (env -i: a
 * PATH and a HOME, no locale), and opens /dev/fuse to all for the time of a test (this machine
 * keeps it root's; Debian's udev opens it to all).
 */
final class OrdinaryUser {
  static final String NAME = "strata-rootless";

  private OrdinaryUser() {}

  /**
   * Opens /dev/fuse to all around each test of a class that extends with it, and gives it its
   * mode back after.
   */
  static final class OpenFuse implements BeforeEachCallback, AfterEachCallback {
    private String mode;

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
      mode = Commands.run(List.of("stat", "-c", "%a", "/dev/fuse")).trim();
      Commands.run(List.of("chmod", "0666", "/dev/fuse"));
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
      Commands.run(List.of("chmod", mode, "/dev/fuse"));
    }
  }

  /** Runs strata's Main from {@code classpath} as the user, on {@code store}. */
  static Commands.Result strata(String classpath, Path store, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("runuser", "-u", NAME, "--", "env", "-i",
        "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME=/home/" + NAME,
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classpath, Main.class.getName(),
        "--store", store.toString()));
    cmd.addAll(List.of(args));
    return Commands.exec(cmd, Map.of());
  }
}
