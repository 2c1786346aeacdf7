package dev.strata.fuse.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What fusermount3 is asked for: the mount(2) a server with CAP_SYS_ADMIN would make. The mount
 * itself, made by a user, is {@code UnprivilegedKernelMountTest}'s.
 */
class FusermountTest {
  @Test
  void theOptionsAreThoseOfTheServersOwnMount() {
    KernelMountOptions o = KernelMountOptions.defaults("lower,upper\\x").withAllowOther(false).withReadOnly(true)
        .withMountOptions(List.of("noatime", "noexec"));
    assertThat(Fusermount.options(o))
        .isEqualTo("fsname=lower\\,upper\\\\x,subtype=strata,ro,nosuid,nodev,noexec,noatime,default_permissions");
    assertThat(Fusermount.options(KernelMountOptions.defaults("s").withMountOptions(List.of("suid", "dev"))))
        .as("fusermount3 itself says what a user may not have").endsWith(",suid,dev,default_permissions,allow_other");
  }
}
