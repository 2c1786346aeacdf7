package dev.strata.cli.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Capability names and the set a container gets: podman's default set with {@code --cap-add}
 * and {@code --cap-drop} applied as podman applies them (containers/common's
 * MergeCapabilities: a name with or without {@code CAP_}, any case, {@code ALL}), never more
 * than this process's own bounding set, since no child can hold a capability its parent lost.
 */
public final class Capabilities {
  /** Linux's capabilities in bit order (capability.h, up to CAP_CHECKPOINT_RESTORE, 40). */
  static final List<String> NAMES = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
      "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
      "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
      "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN",
      "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
      "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
      "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
      "CAP_CHECKPOINT_RESTORE");

  /**
   * Podman's default_capabilities, as containers-common 0.50 (Debian 12's, with podman 4.3)
   * lists them in /usr/share/containers/containers.conf.
   */
  public static final SortedSet<String> PODMAN_DEFAULT = new TreeSet<>(List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE",
      "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
      "CAP_SETUID", "CAP_SYS_CHROOT"));

  private static final String ALL = "ALL";

  private Capabilities() {}

  /**
   * {@code base} with {@code add} and {@code drop} applied: {@code --cap-drop ALL} leaves only
   * what is added, {@code --cap-add ALL} starts from every capability {@code bounding} holds;
   * a name both added and dropped is an error, as it is to podman. The result is cut to
   * {@code bounding}.
   */
  public static SortedSet<String> merge(Set<String> base, List<String> add, List<String> drop, Set<String> bounding) {
    SortedSet<String> adds = normalize(add, "--cap-add");
    SortedSet<String> drops = normalize(drop, "--cap-drop");
    SortedSet<String> caps = new TreeSet<>();
    if (drops.contains(ALL)) {
      if (adds.contains(ALL)) {
        throw new IllegalArgumentException("--cap-add ALL and --cap-drop ALL together: say which");
      }
      caps.addAll(adds);
    } else {
      for (String a : adds) {
        if (drops.contains(a)) {
          throw new IllegalArgumentException("capability " + a + " is both added and dropped");
        }
      }
      caps.addAll(adds.contains(ALL) ? bounding : base);
      caps.addAll(adds);
      caps.remove(ALL);
      caps.removeAll(drops);
    }
    caps.retainAll(bounding);
    return caps;
  }

  /** {@code names} as CAP_ names; an unknown one is an error naming {@code flag}. */
  static SortedSet<String> normalize(List<String> names, String flag) {
    SortedSet<String> out = new TreeSet<>();
    for (String n : names) {
      String c = n.trim().toUpperCase(Locale.ROOT);
      if (!c.equals(ALL) && !c.startsWith("CAP_")) {
        c = "CAP_" + c;
      }
      if (!c.equals(ALL) && !NAMES.contains(c)) {
        throw new IllegalArgumentException(flag + " " + n + ": no such capability (names as capabilities(7) has them, "
            + "with or without CAP_, or ALL)");
      }
      out.add(c);
    }
    return out;
  }

  /** The capabilities of the 64-bit mask {@code mask}, as /proc/PID/status shows one in hex. */
  static SortedSet<String> ofMask(long mask) {
    SortedSet<String> out = new TreeSet<>();
    for (int bit = 0; bit < NAMES.size(); bit++) {
      if ((mask & (1L << bit)) != 0) {
        out.add(NAMES.get(bit));
      }
    }
    return out;
  }

  /** This process's bounding set (CapBnd in /proc/self/status). */
  public static SortedSet<String> bounding() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("CapBnd:")) {
        return ofMask(Long.parseUnsignedLong(line.substring("CapBnd:".length()).trim(), 16));
      }
    }
    throw new IOException("/proc/self/status has no CapBnd line");
  }
}
