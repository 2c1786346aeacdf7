package dev.strata.cli.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.union.IdMap;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

/**
 * A {@link Sandbox} as an OCI runtime spec (config.json), built as podman 4.3 builds one for
 * {@code podman run} (its specgen and runtime-tools' defaults): the same mounts, namespaces,
 * masked and read-only paths, capability sets and seccomp filter.
 */
final class RuntimeSpec {
  /**
   * Podman's masked paths (specgen BlockAccessToKernelFilesystems): kernel memory, keys and
   * timing leaks in /proc, firmware and block devices in /sys. runc binds /dev/null over files
   * and an empty read-only tmpfs over directories.
   */
  static final List<String> MASKED = List.of("/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
      "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/fs/selinux",
      "/sys/dev/block");
  /** Podman's read-only paths: /proc/sys (core_pattern runs a program as host root) and kin. */
  static final List<String> READ_ONLY = List.of("/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
      "/proc/sysrq-trigger");

  private static final ObjectMapper JSON = new ObjectMapper();

  private RuntimeSpec() {}

  static ObjectNode of(Sandbox s, Path rootfs) throws IOException {
    ObjectNode spec = JSON.createObjectNode();
    spec.put("ociVersion", "1.0.2");
    spec.set("process", process(s));
    spec.putObject("root").put("path", rootfs.toString()).put("readonly", s.readOnly());
    spec.put("hostname", s.hostname());
    spec.set("mounts", mounts(s));
    ObjectNode linux = spec.putObject("linux");
    if (!s.ids().isHost()) {
      linux.set("uidMappings", mappings(s.ids().uids()));
      linux.set("gidMappings", mappings(s.ids().gids()));
    }
    ArrayNode ns = linux.putArray("namespaces");
    for (String type : List.of("pid", "ipc", "uts", "mount")) {
      ns.addObject().put("type", type);
    }
    if (!s.hostNetwork()) {
      ns.addObject().put("type", "network");
    }
    if (!s.ids().isHost()) {
      ns.addObject().put("type", "user");
    }
    if (s.seccomp() != null) {
      linux.set("seccomp", SeccompProfile.forContainer(s.seccomp(), s.capabilities()));
    }
    if (!s.privileged()) {
      strings(linux.putArray("maskedPaths"), MASKED);
      strings(linux.putArray("readonlyPaths"), READ_ONLY);
    }
    return spec;
  }

  private static ObjectNode process(Sandbox s) {
    ObjectNode p = JSON.createObjectNode();
    p.put("terminal", false);
    ObjectNode user = p.putObject("user").put("uid", s.user().uid()).put("gid", s.user().gid()).put("umask", 022);
    if (!s.user().groups().isEmpty()) {
      ArrayNode g = user.putArray("additionalGids");
      s.user().groups().forEach(g::add);
    }
    strings(p.putArray("args"), s.args());
    strings(p.putArray("env"), s.env());
    p.put("cwd", s.cwd());
    // As podman: root holds the whole set; another user only what --cap-add asked for, made
    // ambient (and so inheritable) so that it survives the exec of a program without file caps.
    boolean root = s.user().uid() == 0;
    Collection<String> held = root ? s.capabilities() : s.userCapabilities();
    ObjectNode caps = p.putObject("capabilities");
    strings(caps.putArray("bounding"), s.capabilities());
    strings(caps.putArray("effective"), held);
    strings(caps.putArray("permitted"), held);
    strings(caps.putArray("inheritable"), root ? List.of() : held);
    strings(caps.putArray("ambient"), root ? List.of() : held);
    p.put("noNewPrivileges", s.noNewPrivileges());
    return p;
  }

  private static ArrayNode mounts(Sandbox s) {
    ArrayNode m = JSON.createArrayNode();
    mount(m, "/proc", "proc", "proc", "nosuid", "noexec", "nodev");
    mount(m, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
    // devpts gives new terminals group tty (5), which the namespace must map (a rootless one
    // of the caller's id alone does not: podman drops the option then too).
    if (s.ids().gids().mapsStored(5)) {
      mount(m, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5");
    } else {
      mount(m, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620");
    }
    mount(m, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
    mount(m, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
    String rw = s.privileged() ? "rw" : "ro";
    if (s.hostNetwork() && (!s.ids().isHost() || !dev.strata.host.Capabilities.ofProcess().initialUserNamespace())) {
      // sysfs mounts only in a network namespace the user namespace owns: bind the host's, as
      // podman does for a container in a user namespace on the host's network.
      mount(m, "/sys", "bind", "/sys", "rprivate", "nosuid", "noexec", "nodev", rw, "rbind");
    } else {
      mount(m, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", rw);
    }
    // Not podman's: strata run has always given /tmp a tmpfs, so that scratch files stay out of
    // the container's upper and its commits. A build's RUN sees the image's /tmp, as in every
    // builder: a COPY into /tmp is there for the next RUN.
    if (s.scratchTmp()) {
      mount(m, "/tmp", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=1777");
    }
    // Volumes and host directories, as podman mounts them: the whole tree below (rbind), no
    // mount or unmount under them reaching the host (rprivate), and a volume nosuid and nodev (a
    // setuid file or a device node a container left in a volume gives the next one nothing).
    // Last, so that one on /tmp or below /dev covers what is there.
    for (Bind b : s.binds()) {
      String mode = b.readOnly() ? "ro" : "rw";
      mount(m, b.destination(), "bind", b.source().toString(), b.volume()
          ? new String[] {"rbind", mode, "rprivate", "nosuid", "nodev"} : new String[] {"rbind", mode, "rprivate"});
    }
    return m;
  }

  private static void mount(ArrayNode mounts, String destination, String type, String source, String... options) {
    ObjectNode o = mounts.addObject().put("destination", destination).put("type", type).put("source", source);
    strings(o.putArray("options"), List.of(options));
  }

  private static ArrayNode mappings(IdMap map) {
    ArrayNode a = JSON.createArrayNode();
    for (IdMap.Range r : map.ranges()) {
      a.addObject().put("containerID", r.stored()).put("hostID", r.shown()).put("size", r.length());
    }
    return a;
  }

  private static void strings(ArrayNode array, Collection<String> values) {
    values.forEach(array::add);
  }
}
