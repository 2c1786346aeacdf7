package dev.strata.cli;

import dev.strata.build.ContainerfileBuild;
import dev.strata.build.ImageUnion;
import dev.strata.cli.sandbox.Capabilities;
import dev.strata.cli.sandbox.ContainerEnvironment;
import dev.strata.cli.sandbox.RunDirectory;
import dev.strata.cli.sandbox.Sandbox;
import dev.strata.cli.sandbox.UserNamespace;
import dev.strata.fuse.FuseMount;
import dev.strata.fuse.MountOptions;
import dev.strata.union.IdMap;
import dev.strata.union.ImageUser;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.TreeSet;

/**
 * Runs a build's {@code RUN} steps as {@code strata run} runs a container: the union mounted
 * through FUSE, runc in a user namespace with podman's default capabilities and seccomp
 * profile; as buildah's RUN, setuid programs work (no no_new_privs) and there is no network
 * unless the build asks for the host's.
 */
final class BuildRunner implements ContainerfileBuild.Runner, AutoCloseable {
  private final UserNamespace ids;

  BuildRunner() throws IOException {
    this.ids = UserNamespace.forThisProcess();
  }

  @Override
  public IdMap uids() {
    return ids.uids();
  }

  @Override
  public IdMap gids() {
    return ids.gids();
  }

  @Override
  public void run(ImageUnion union, ContainerfileBuild.RunRequest request, ContainerfileBuild.AfterRun then)
      throws IOException, InterruptedException {
    ImageUser who = ImageUser.resolve(union.engine(), request.user());
    List<String> env = ContainerEnvironment.of(request.env(), who, "strata-build");
    Sandbox sandbox = new Sandbox(request.argv(), env, request.workingDir(), "strata-build", who,
        Capabilities.PODMAN_DEFAULT, new TreeSet<>(), false, Sandbox.PODMAN_SECCOMP, false, request.hostNetwork(), false,
        ids, false, List.of());
    try (RunDirectory run = RunDirectory.create(ids)) {
      FuseMount mount = FuseMount.start(union.engine(), Files.createDirectory(run.rootfs()),
          MountOptions.defaults("strata-build"));
      try {
        then.exited(sandbox.run(run.rootfs(), run.path()));
      } finally {
        mount.close();
      }
    }
  }

  @Override
  public void close() throws IOException {
    ids.close();
  }
}
