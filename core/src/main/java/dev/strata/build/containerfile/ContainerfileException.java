package dev.strata.build.containerfile;

/**
 * A Containerfile that cannot be built as written, naming the file and line: a usage error
 * (exit 2), not a failed build.
 */
public final class ContainerfileException extends IllegalArgumentException {
  private final int line;

  /** An error of {@code file} at {@code line}: the message says what is wrong there. */
  public ContainerfileException(String file, int line, String message) {
    super(file + ":" + line + ": " + message);
    this.line = line;
  }

  /** The line the instruction starts on, from 1. */
  public int line() {
    return line;
  }
}
