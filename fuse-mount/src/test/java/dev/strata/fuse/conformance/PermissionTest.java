package dev.strata.fuse.conformance;

import static dev.strata.fuse.conformance.AsUser.ALICE;
import static dev.strata.fuse.conformance.AsUser.BOB;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;

/**
 * Checks made against an unprivileged caller, who is a child process (see {@link AsUser}).
 * Failing commands are told apart by exit status and by the strerror text they print.
 */
class PermissionTest extends MountedOverlayTest {
  private static final String DENIED = "Permission denied";
  private static final String NOT_PERMITTED = "Operation not permitted";

  @OnEachOverlay
  void aPrivateFileIsReadAndWrittenByItsOwnerOnly(Overlay overlay) throws Exception {
    mount(overlay);
    String c = at("c").toString();
    assertThat(AsUser.sh(BOB, "cat " + c).output()).contains(DENIED);
    assertThat(AsUser.sh(BOB, "echo more >> " + c).output()).contains(DENIED);
    assertThat(AsUser.sh(ALICE, "echo more >> " + c + " && cat " + c))
        .isEqualTo(new Command(0, "c from l3\nmore\n"));
    assertThat(stat("c")).containsEntry("uid", 1000).containsEntry("mode", 0100600);
  }

  @OnEachOverlay
  void aRootOwnedDirectoryRefusesOthersNewNames(Overlay overlay) throws Exception {
    lowers();
    Files.createDirectories(lower("l3/vault"));
    Files.writeString(lower("l3/vault/secret"), "secret\n");
    HOST.chmod(lower("l3/vault"), 0700);
    mount(overlay);
    assertThat(AsUser.sh(ALICE, "ls " + at("vault")).output()).contains(DENIED);
    assertThat(AsUser.sh(ALICE, "cat " + at("vault/secret")).output()).contains(DENIED);
    assertThat(AsUser.sh(ALICE, "touch " + at("d1/mine")).output()).contains(DENIED);
    assertThat(AsUser.sh(ALICE, "rm -f " + at("a")).output()).contains(DENIED);
    assertThat(list("")).contains("a");
  }

  @OnEachOverlay
  void accessAnswersForTheCaller(Overlay overlay) throws Exception {
    mount(overlay);
    // test(1) of dash asks faccessat(2) for -r, -w and -x.
    String script = "for f in a c d1 suid; do for m in r w x; do test -$m %s/$f && printf \"$f$m \"; done; done";
    assertThat(AsUser.sh(ALICE, String.format(script, mnt)))
        .isEqualTo(new Command(0, "ar cr cw d1r d1x suidr suidw suidx "));
  }

  @OnEachOverlay
  void aWriteByAnotherUserClearsSetuidAndSetgid(Overlay overlay) throws Exception {
    mount(overlay);
    write("made-suid", "new\n");
    HOST.chmod(at("made-suid"), 06777);
    for (String path : new String[] {"suid", "made-suid"}) {
      assertThat(AsUser.sh(ALICE, "echo more >> " + at(path)).status()).as(path).isZero();
      assertThat(mode(path)).as(path).isEqualTo(0100777);
    }
  }

  @OnEachOverlay
  void aStickyDirectoryKeepsOthersFromDeletingWhatIsNotTheirs(Overlay overlay) throws Exception {
    lowers();
    Files.createDirectories(lower("l3/tmp"));
    Files.writeString(lower("l3/tmp/alices"), "lower, alice's\n");
    HOST.lchown(lower("l3/tmp/alices"), ALICE, ALICE);
    HOST.chmod(lower("l3/tmp"), 01777);
    mount(overlay);
    assertThat(AsUser.sh(ALICE, "echo new > " + at("tmp/new")).status()).isZero();
    assertThat(stat("tmp/new")).containsEntry("uid", ALICE).containsEntry("gid", ALICE);
    for (String name : new String[] {"alices", "new"}) {
      Command bob = AsUser.sh(BOB, "rm -f " + at("tmp/" + name) + " || mv " + at("tmp/" + name) + " " + at("tmp/x"));
      assertThat(bob.status()).as(name).isNotZero();
      assertThat(bob.output()).as(name).contains(NOT_PERMITTED);
      assertThat(list("tmp")).as(name).contains(name);
    }
    assertThat(AsUser.sh(ALICE, "rm " + at("tmp/alices") + " " + at("tmp/new")).status()).isZero();
    assertThat(list("tmp")).isEmpty();
  }

  @OnEachOverlay
  void onlyTheOwnerChangesModeAndOnlyRootChangesOwner(Overlay overlay) throws Exception {
    mount(overlay);
    assertThat(AsUser.sh(BOB, "chmod 0777 " + at("c")).output()).contains(NOT_PERMITTED);
    assertThat(AsUser.sh(ALICE, "chown 1001 " + at("c")).output()).contains(NOT_PERMITTED);
    assertThat(AsUser.sh(ALICE, "chmod 0644 " + at("c")).status()).isZero();
    assertThat(mode("c")).isEqualTo(0100644);
  }
}
