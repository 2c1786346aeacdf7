package dev.strata.host;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * What a process may do to host files follows from its capabilities and its user namespace,
 * never from its name: root of a user namespace (rootless podman's mount programs) is uid 0 with
 * every capability there, and none of them reaches trusted.* xattrs or device nodes.
 */
class PrivilegesTest {
  private static final long ALL = (1L << 41) - 1;
  private static final long FULL_RANGE = 1L << 32;

  @Test
  void hostRootMayDoEverything() {
    Capabilities caps = new Capabilities(ALL, true, FULL_RANGE, 0);
    assertThat(caps.hostRoot()).isTrue();
    assertThat(Privileges.of(caps)).isEqualTo(Privileges.ROOT);
  }

  @Test
  void rootOfAUserNamespaceWithASubordinateRangeMayChownOnly() {
    Capabilities caps = new Capabilities(ALL, false, 65537, 0);
    assertThat(caps.hostRoot()).isFalse();
    assertThat(caps.canMount()).isTrue();
    assertThat(Privileges.of(caps)).isEqualTo(new Privileges(false, true, false));
    assertThat(Privileges.of(caps).overlayXattrPrefix()).isEqualTo("user.overlay.");
  }

  @Test
  void rootOfANamespaceThatMapsOneIdHasNoOtherOwnerToGive() {
    Capabilities caps = new Capabilities(ALL, false, 1, 0);
    assertThat(Privileges.of(caps)).isEqualTo(Privileges.UNPRIVILEGED);
  }

  @Test
  void anOrdinaryUserMayDoNothingBeyondItsFiles() {
    Capabilities caps = new Capabilities(0, true, FULL_RANGE, 1000);
    assertThat(caps.canMount()).isFalse();
    assertThat(Privileges.of(caps)).isEqualTo(Privileges.UNPRIVILEGED);
  }

  @Test
  void uidZeroWithoutCapabilitiesIsNotRoot() {
    // A container's root with capabilities dropped: uid 0 by name, nothing by right.
    Capabilities caps = new Capabilities(0, true, FULL_RANGE, 0);
    assertThat(caps.hostRoot()).isFalse();
    assertThat(Privileges.of(caps)).isEqualTo(Privileges.UNPRIVILEGED);
  }

  @Test
  void thisProcessReadsItsOwn() {
    Capabilities caps = Capabilities.ofProcess();
    // The tests run as the host's root (CI and scripts/test.sh).
    assertThat(caps.initialUserNamespace()).isTrue();
    assertThat(caps.euid()).isZero();
    assertThat(caps.has(Capabilities.CAP_CHOWN)).isTrue();
    assertThat(Privileges.ofProcess()).isEqualTo(Privileges.of(caps));
  }
}
