package dev.strata.cli;

import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/** Turns exceptions into one line a person can act on. */
final class Errors {
  private Errors() {}

  static String describe(Throwable e) {
    if (e instanceof NoSuchFileException n) {
      String m = n.getMessage();
      return m != null && m.contains(" ") ? m : "no such file: " + m;
    }
    if (e instanceof AccessDeniedException a) {
      return "permission denied: " + a.getMessage();
    }
    String m = e.getMessage();
    if (m == null || m.isBlank()) {
      return e.getClass().getSimpleName();
    }
    return m;
  }
}
