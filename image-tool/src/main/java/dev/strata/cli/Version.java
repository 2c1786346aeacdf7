package dev.strata.cli;

import picocli.CommandLine.IVersionProvider;

/** Prints the version the jar was built as. */
final class Version implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Version.class.getPackage().getImplementationVersion();
    return new String[] {"strata " + (v == null ? "(development build)" : v)};
  }
}
