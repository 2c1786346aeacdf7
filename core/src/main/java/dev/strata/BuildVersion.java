package dev.strata;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The version this build of Strata is, as {@code strata --version} and {@code strata-overlay --version} print it. */
public final class BuildVersion {
  private BuildVersion() {}

  /** The project's version, which the build writes into {@code version.properties} beside this class. */
  public static String text() {
    try (InputStream in = BuildVersion.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        throw new IllegalStateException("version.properties is missing from the build");
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
