package dev.strata.cli;

import dev.strata.host.Names;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The command line as the kernel gave it, in {@link Names}' form. The JVM decodes arguments in
 * the locale's charset, which with {@code LANG} unset makes every byte beyond ASCII U+FFFD, so a
 * path inside an image ({@code strata tree IMAGE /usr/share/ü}) could not be named; the bytes
 * are in /proc/self/cmdline, the arguments its last entries.
 */
final class RawArguments {
  private RawArguments() {}

  /**
   * Returns {@code args} with each argument's own bytes, or {@code args} as they are where the
   * kernel's copy cannot be matched to them (no /proc, or a launcher that rewrote them).
   */
  static String[] of(String[] args) {
    byte[] cmdline;
    try {
      cmdline = Files.readAllBytes(Path.of("/proc/self/cmdline"));
    } catch (IOException | SecurityException e) {
      return args;
    }
    List<byte[]> all = Names.nulTerminated(cmdline);
    if (all.size() < args.length) {
      return args;
    }
    Charset jvm = Names.jdkCharset();
    String[] raw = new String[args.length];
    for (int i = 0; i < args.length; i++) {
      byte[] bytes = all.get(all.size() - args.length + i);
      if (!new String(bytes, jvm).equals(args[i])) {
        return args; // not the arguments the JVM was given
      }
      raw[i] = Names.decode(bytes);
    }
    return raw;
  }
}
