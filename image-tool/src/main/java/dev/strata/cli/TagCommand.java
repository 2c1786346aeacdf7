package dev.strata.cli;

import dev.strata.layout.Store;
import dev.strata.layout.StoredImage;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code strata tag NAME NEW}: another name for the same image. */
@Command(name = "tag", mixinStandardHelpOptions = true, description = "Give an image another name.")
final class TagCommand implements Callable<Integer> {
  @ParentCommand StrataCommand root;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME") String name;
  @Parameters(index = "1", paramLabel = "NEW") String newName;

  @Override
  public Integer call() throws Exception {
    Store.checkTag(newName);
    Store store = root.openStore();
    StoredImage image = StoredImage.load(store, name);
    store.tag(newName, image.descriptor());
    spec.commandLine().getOut().printf("tagged %s as %s%n", image.descriptor().digest(), newName);
    return 0;
  }
}
