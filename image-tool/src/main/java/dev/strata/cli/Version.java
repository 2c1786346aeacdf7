package dev.strata.cli;

import dev.strata.BuildVersion;
import picocli.CommandLine.IVersionProvider;

/** Prints the version the jar was built as. */
final class Version implements IVersionProvider {
  @Override
  public String[] getVersion() {
    return new String[] {"strata " + BuildVersion.text()};
  }
}
