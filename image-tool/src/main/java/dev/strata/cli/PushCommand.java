package dev.strata.cli;

import dev.strata.image.Descriptor;
import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import dev.strata.transfer.Pusher;
import dev.strata.transfer.Transports;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code strata push NAME DEST}: writes an image of the store elsewhere, keeping its digests. */
@Command(name = "push", mixinStandardHelpOptions = true,
    description = {"Write an image of the store to a destination.",
        "DEST: oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:REPO:TAG]"})
final class PushCommand implements Callable<Integer> {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME") String name;
  @Parameters(index = "1", paramLabel = "DEST") String dest;

  @Override
  public Integer call() throws Exception {
    Transports.Location location = Transports.parse(dest);
    Store store = root.openStore();
    StoredImage image = StoredImage.load(store, name);
    Descriptor written = Pusher.push(store, image, location);
    spec.commandLine().getOut().printf("pushed %s to %s: %s%n", name, location, written.digest());
    return 0;
  }
}
