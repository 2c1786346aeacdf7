package dev.strata.build.containerfile;

/**
 * What is wrong with one instruction, before the file and line are known: the parts that read an
 * instruction's text throw it, and {@link Containerfile#parse} turns it into a {@link
 * ContainerfileException} that names both.
 */
final class Malformed extends RuntimeException {
  private static final long serialVersionUID = 1L;

  Malformed(String detail) {
    super(detail, null, false, false);
  }
}
