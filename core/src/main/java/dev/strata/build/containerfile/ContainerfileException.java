package dev.strata.build.containerfile;

/**
 * A Containerfile that cannot be built as written, with the file and the line to look at:
 * {@code Containerfile:7: unknown instruction 'COPPY'}.
 *
 * <p>Unchecked, an {@link IllegalArgumentException}: the text is the caller's argument and the
 * only thing to do with a bad one is to show the message, as for any other malformed input the
 * library is given; a checked exception would make every caller of {@link Containerfile#parse}
 * wrap or declare it for nothing.
 */
public final class ContainerfileException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String fileName;
  private final int line;
  private final String detail;

  /**
   * @param fileName the name the file is shown by
   * @param line the 1-based line the fault is on; 0 when it is the whole file's (no FROM, no
   *     instructions at all)
   * @param detail what is wrong, without file or line
   */
  public ContainerfileException(String fileName, int line, String detail) {
    super(line > 0 ? fileName + ":" + line + ": " + detail : fileName + ": " + detail);
    this.fileName = fileName;
    this.line = line;
    this.detail = detail;
  }

  public String fileName() {
    return fileName;
  }

  /** The 1-based line the fault is on (where its instruction starts), or 0 for the whole file. */
  public int line() {
    return line;
  }

  /** What is wrong, without the file and line. */
  public String detail() {
    return detail;
  }
}
