package dev.strata.cli;

import dev.strata.image.Platform;
import picocli.CommandLine.Option;

/** {@code --platform}, for commands that read an image that may be an index of several. */
final class PlatformOption {
  @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
      description = "Which image of an index, for transports (default: this machine's).")
  String platform;

  Platform get() {
    return platform == null ? Platform.current() : Platform.parse(platform);
  }
}
