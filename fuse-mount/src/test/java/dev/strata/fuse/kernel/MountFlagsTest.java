package dev.strata.fuse.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The options libfuse does not know, which the side-by-side mount tests cannot compare with
 * fuse-overlayfs (it refuses or drops them): the atime modes, and names that are no flag.
 */
class MountFlagsTest {
  @Test
  void theLastAtimeModeNamedIsTheOneMounted() {
    assertThat(MountFlags.apply(MountFlags.NOATIME, List.of("relatime"))).isEqualTo(MountFlags.RELATIME);
    assertThat(MountFlags.apply(0, List.of("strictatime", "noatime"))).isEqualTo(MountFlags.NOATIME);
    assertThat(MountFlags.apply(0, List.of("noatime", "strictatime"))).isEqualTo(MountFlags.STRICTATIME);
    assertThat(MountFlags.apply(MountFlags.NOATIME | MountFlags.NODIRATIME, List.of("atime")))
        .as("atime lifts noatime only; the kernel then picks relatime").isEqualTo(MountFlags.NODIRATIME);
  }

  @Test
  void namesThatAreNoFlagLeaveTheFlagsAlone() {
    assertThat(MountFlags.apply(MountFlags.LIBFUSE_START, List.of("allow_other", "default_permissions", "ro")))
        .isEqualTo(MountFlags.NOSUID | MountFlags.NODEV);
  }

  @Test
  void theNamesOfFlagsFoldBackToThem() {
    for (List<String> given : List.<List<String>>of(List.of(), List.of("suid", "dev"),
        List.of("exec", "nosuid", "suid"), List.of("noexec", "sync", "dirsync", "noatime", "nodiratime"),
        List.of("strictatime"))) {
      long flags = MountFlags.apply(MountFlags.LIBFUSE_START, given);
      assertThat(MountFlags.apply(MountFlags.LIBFUSE_START, MountFlags.names(flags))).as("%s", given).isEqualTo(flags);
    }
    assertThat(MountFlags.names(MountFlags.apply(MountFlags.LIBFUSE_START, List.of("relatime"))))
        .as("relatime is the kernel's own choice, left unnamed").containsExactly("nosuid", "nodev");
  }
}
