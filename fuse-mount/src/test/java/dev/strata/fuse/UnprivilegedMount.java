package dev.strata.fuse;

import dev.strata.host.Capabilities;
import dev.strata.host.Privileges;
import dev.strata.union.HostDirLayer;
import dev.strata.union.UnionFs;
import dev.strata.union.UnionOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Run by {@link UnprivilegedKernelMountTest} as an ordinary user: mounts a union through the
 * Strata API, uses it, unmounts it, and prints what it saw as {@code key=value} lines for the
 * test to check. A process of its own because credentials are per process: the test runs as root.
 *
 * <p>{@code mount LOWER UPPER WORK MNT}: the whole round. {@code refuse LOWER UPPER WORK MNT
 * [allow_other]}: a mount expected to fail, printing the error.
 */
final class UnprivilegedMount {
  private static final int AT_FDCWD = -100;
  private static final int RENAME_NOREPLACE = 1;
  private static final int RENAME_EXCHANGE = 2;

  private UnprivilegedMount() {}

  public static void main(String[] args) throws Exception {
    Path mnt = Path.of(args[4]);
    Capabilities caps = Capabilities.ofProcess();
    print("euid", caps.euid());
    print("cap_sys_admin", caps.has(Capabilities.CAP_SYS_ADMIN));
    print("transport", FuseMount.Transport.choose());
    UnionFs fs = UnionFs.open(List.of(HostDirLayer.open(Path.of(args[1]))), Path.of(args[2]), Path.of(args[3]),
        UnionOptions.defaults(Privileges.ofProcess()));
    MountOptions options = MountOptions.defaults("strata-unprivileged");
    if (args[0].equals("refuse")) {
      if (args.length > 5 && args[5].equals("allow_other")) {
        options = new MountOptions(options.transport(), options.fsName(), false, true, true, options.attrTimeout(),
            options.entryTimeout(), options.singleThreaded(), false, options.mountOptions(), options.acl(),
            options.passthrough());
      }
      try {
        FuseMount m = FuseMount.start(fs, mnt, options);
        print("mounted", Mounts.at(mnt).map(Mounts.Mount::options).orElse("?"));
        m.close();
      } catch (IOException e) {
        fs.close();
        print("error", e.getMessage().replace('\n', ' '));
      }
      return;
    }

    FuseMount m = FuseMount.start(fs, mnt, options);
    print("passthrough", m.passthrough());
    Mounts.Mount entry = Mounts.at(mnt).orElseThrow();
    print("type", entry.type());
    print("source", entry.source());
    print("options", entry.options());

    Path a = mnt.resolve("a");
    Path b = mnt.resolve("b");
    Files.writeString(a, "one\n");
    long inoBefore = (Long) Files.getAttribute(a, "unix:ino");
    print("link", Syscalls.libc().link(Syscalls.c(a.toString()), Syscalls.c(b.toString())));
    print("ino_a", inoBefore);
    print("ino_b", Files.getAttribute(b, "unix:ino"));
    print("nlink_a", Files.getAttribute(a, "unix:nlink"));
    print("nlink_b", Files.getAttribute(b, "unix:nlink"));
    // Both names were just stat'ed, so their attributes are cached: one kernel inode shows a
    // write through the other name at once, two would show the old size until they expire.
    Files.writeString(b, "two\n", StandardOpenOption.APPEND);
    print("size_a", Files.getAttribute(a, "unix:size"));

    Files.writeString(mnt.resolve("c"), "see\n");
    int rc = Syscalls.libc().renameat2(AT_FDCWD, Syscalls.c(mnt.resolve("c").toString()), AT_FDCWD,
        Syscalls.c(a.toString()), RENAME_NOREPLACE);
    print("noreplace", rc + " " + (rc == 0 ? 0 : Syscalls.errno()));
    print("a_after", Files.readString(a).replace('\n', '|'));
    // The kernel answers NOREPLACE onto an existing name itself; EXCHANGE only the server can.
    rc = Syscalls.libc().renameat2(AT_FDCWD, Syscalls.c(mnt.resolve("c").toString()), AT_FDCWD,
        Syscalls.c(a.toString()), RENAME_EXCHANGE);
    print("exchange", rc + " " + (rc == 0 ? 0 : Syscalls.errno()));
    print("a_exchanged", Files.readString(a).replace('\n', '|'));
    print("c_exchanged", Files.readString(mnt.resolve("c")).replace('\n', '|'));

    m.close();
    print("mounted_after_close", Mounts.at(mnt).isPresent());
  }

  private static void print(String key, Object value) {
    System.out.println(key + "=" + value);
  }
}
