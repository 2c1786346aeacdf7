package dev.strata.fuse.kernel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The mount(2) flags that mount options name ({@code suid}, {@code nodev}, {@code noatime},
 * ...), applied in order as libfuse applies them: each name sets or clears its flags, so a later
 * name wins over an earlier one ({@code suid,nosuid} is nosuid). Both transports thereby give the
 * same mount for the same options: libfuse folds its own table this way, and the /dev/fuse
 * transport folds this one.
 */
public final class MountFlags {
  static final long RDONLY = 1;
  static final long NOSUID = 2;
  static final long NODEV = 4;
  static final long NOEXEC = 8;
  static final long SYNCHRONOUS = 16;
  static final long DIRSYNC = 128;
  static final long NOATIME = 1024;
  static final long NODIRATIME = 2048;
  static final long RELATIME = 1 << 21;
  static final long STRICTATIME = 1 << 24;

  /**
   * Where libfuse starts before reading any option (lib/mount.c): neither set-user-id bits nor
   * device nodes honoured until an option says so.
   */
  public static final long LIBFUSE_START = NOSUID | NODEV;

  /** What one option does: the flags it sets and those it clears. */
  private record Effect(long set, long clear) {}

  /** The atime modes exclude one another; without any, the kernel picks relatime. */
  private static final long ATIME_MODES = NOATIME | RELATIME | STRICTATIME;

  // libfuse's table (suid ... dirsync) plus the atime modes that mount(8) knows and libfuse
  // does not; ro and rw are the caller's read-only switch, not flags here.
  private static final Map<String, Effect> EFFECTS = Map.ofEntries(
      Map.entry("suid", new Effect(0, NOSUID)),
      Map.entry("nosuid", new Effect(NOSUID, 0)),
      Map.entry("dev", new Effect(0, NODEV)),
      Map.entry("nodev", new Effect(NODEV, 0)),
      Map.entry("exec", new Effect(0, NOEXEC)),
      Map.entry("noexec", new Effect(NOEXEC, 0)),
      Map.entry("async", new Effect(0, SYNCHRONOUS)),
      Map.entry("sync", new Effect(SYNCHRONOUS, 0)),
      Map.entry("dirsync", new Effect(DIRSYNC, 0)),
      Map.entry("atime", new Effect(0, NOATIME)),
      Map.entry("noatime", new Effect(NOATIME, ATIME_MODES)),
      Map.entry("relatime", new Effect(RELATIME, ATIME_MODES)),
      Map.entry("norelatime", new Effect(0, RELATIME)),
      Map.entry("strictatime", new Effect(STRICTATIME, ATIME_MODES)),
      Map.entry("diratime", new Effect(0, NODIRATIME)),
      Map.entry("nodiratime", new Effect(NODIRATIME, 0)));

  private MountFlags() {}

  /**
   * Returns {@code flags} with {@code options} applied in order; names that are no mount(2) flag
   * ({@code allow_other}, {@code ro}, ...) are left to the caller.
   */
  public static long apply(long flags, List<String> options) {
    long f = flags;
    for (String name : options) {
      Effect e = EFFECTS.get(name);
      if (e != null) {
        f = (f & ~e.clear()) | e.set();
      }
    }
    return f;
  }

  /**
   * The option names that give exactly {@code flags} (MS_RDONLY aside) to a mount made by
   * fusermount3, which folds its own table from nosuid,nodev as libfuse does: suid and dev or
   * their opposites always, the others where set. Relatime is left unnamed: the kernel picks it
   * where no atime mode is given, and fusermount3 before 3.14.1 knows no name for it (nor for
   * strictatime or nodiratime, which stay named so that its refusal says why).
   */
  static List<String> names(long flags) {
    List<String> out = new ArrayList<>();
    out.add((flags & NOSUID) != 0 ? "nosuid" : "suid");
    out.add((flags & NODEV) != 0 ? "nodev" : "dev");
    for (Map.Entry<Long, String> e : NAMED.entrySet()) {
      if ((flags & e.getKey()) != 0) {
        out.add(e.getValue());
      }
    }
    return out;
  }

  /** The flags besides nosuid and nodev that an option names, in the order given. */
  private static final Map<Long, String> NAMED = namedFlags();

  private static Map<Long, String> namedFlags() {
    Map<Long, String> m = new LinkedHashMap<>();
    m.put(NOEXEC, "noexec");
    m.put(SYNCHRONOUS, "sync");
    m.put(DIRSYNC, "dirsync");
    m.put(NOATIME, "noatime");
    m.put(NODIRATIME, "nodiratime");
    m.put(STRICTATIME, "strictatime");
    return m;
  }
}
